import { logSwallowed } from '@genai-otel/core';
import { context } from '@opentelemetry/api';
import { wrapChatModelStreamEvents } from './chat-model-events.js';
import { DeferredContext } from './deferred-context.js';
import type { GenAICallbackHandler } from './handler.js';
import type { Patcher } from './patcher.js';

type AnyFn = (...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;

/** What the wrappers need from the instrumentation, looked up on every call. */
export interface PatchHost {
  isEnabled(): boolean;
  readonly handler: GenAICallbackHandler;
}

/** Classes we patch, by export name, with the members to wrap. */
const CLASS_TARGETS = {
  CallbackManager: { statics: ['_configureSync'] },
  Runnable: {
    async: ['_callWithConfig'],
    streams: ['_transformStreamWithConfig'],
    readable: ['stream'],
  },
  // `streamEvents`: only where BaseChatModel defines its own (LangChain 1.2+'s event protocol).
  BaseChatModel: { async: ['generate'], streams: ['_streamIterator'], events: ['streamEvents'] },
  BaseLLM: { async: ['generate'], streams: ['_streamIterator'] },
  StructuredTool: { async: ['call'] },
  BaseRetriever: { async: ['invoke'] },
} as const;

/** LangChain's AsyncLocalStorage provider singleton (an instance; we patch its class). */
const ALS_SINGLETON = 'AsyncLocalStorageProviderSingleton';

function alsProviderProto(exports: unknown): Obj | undefined {
  try {
    const inst = (exports as Obj | undefined)?.[ALS_SINGLETON];
    if (!inst || typeof inst !== 'object') return undefined;
    const proto = Object.getPrototypeOf(inst) as Obj | null;
    return proto && typeof proto.runWithConfig === 'function' ? proto : undefined;
  } catch {
    return undefined;
  }
}

const MODEL_CLASSES = new Set(['BaseChatModel', 'BaseLLM']);

function classOf(exports: unknown, name: string): (Function & Obj) | undefined {
  try {
    const v = (exports as Obj | undefined)?.[name];
    return typeof v === 'function' ? (v as Function & Obj) : undefined;
  } catch {
    return undefined;
  }
}

/** The patchable objects (classes and prototypes) found in a module's exports. */
export function targetsOf(exports: unknown): Set<object> {
  const out = new Set<object>();
  for (const name of Object.keys(CLASS_TARGETS)) {
    const cls = classOf(exports, name);
    if (!cls) continue;
    out.add(cls);
    if (cls.prototype) out.add(cls.prototype as object);
  }
  const als = alsProviderProto(exports);
  if (als) out.add(als);
  return out;
}

/**
 * Patches every LangChain class found in `exports` (a `@langchain/core` dist module, or any
 * object holding those classes). Returns how many members were wrapped.
 */
export function patchExports(exports: unknown, patcher: Patcher, host: PatchHost): number {
  let count = 0;
  const als = alsProviderProto(exports);
  if (als && patcher.wrap(als, 'runWithConfig', (orig) => wrapRunWithConfig(orig, host))) count++;
  for (const [name, spec] of Object.entries(CLASS_TARGETS)) {
    const cls = classOf(exports, name);
    if (!cls) continue;
    try {
      if ('statics' in spec && typeof cls._configureSync === 'function') {
        if (patcher.wrap(cls, '_configureSync', (orig) => wrapConfigure(orig, host))) count++;
      }
      const proto = cls.prototype as Obj | undefined;
      if (!proto) continue;
      if ('async' in spec) {
        for (const key of spec.async) {
          if (patcher.wrap(proto, key, (orig) => wrapAsync(orig, host))) count++;
        }
      }
      if ('streams' in spec) {
        const isModel = MODEL_CLASSES.has(name);
        for (const key of spec.streams) {
          if (patcher.wrap(proto, key, (orig) => wrapStream(orig, host, isModel))) count++;
        }
      }
      if ('readable' in spec) {
        for (const key of spec.readable) {
          if (patcher.wrap(proto, key, (orig) => wrapReadable(orig, host))) count++;
        }
      }
      if ('events' in spec) {
        for (const key of spec.events) {
          if (patcher.wrap(proto, key, (orig) => wrapChatModelStreamEvents(orig, host))) count++;
        }
      }
    } catch (err) {
      logSwallowed(`langchain patch ${name}`, err);
    }
  }
  return count;
}

/**
 * `CallbackManager._configureSync` (what `configure()` and every runnable call): keep
 * whatever LangChain builds from the user's handlers (undefined, an array or a manager), and
 * add our handler once (it is inheritable, so child managers already carry it).
 */
function wrapConfigure(original: Function, host: PatchHost): Function {
  return function configureWithGenAI(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled()) return (original as AnyFn).apply(this, args);
    let handler: GenAICallbackHandler | undefined;
    try {
      handler = host.handler;
      // No handlers at all: hand LangChain ours as if the user had passed it, so it builds
      // the manager exactly as usual (tags, metadata, tracer config).
      if (args[0] == null && args[1] == null) args[0] = [handler];
    } catch (err) {
      logSwallowed('langchain CallbackManager._configureSync', err);
    }
    const manager = (original as AnyFn).apply(this, args) as Obj | undefined;
    if (handler === undefined || manager == null) return manager;
    try {
      const handlers = manager.handlers;
      if (!Array.isArray(handlers) || !handlers.includes(handler)) {
        (manager.addHandler as (h: unknown, inherit: boolean) => void)(handler, true);
      }
    } catch (err) {
      logSwallowed('langchain CallbackManager._configureSync', err);
    }
    return manager;
  };
}

/**
 * `AsyncLocalStorageProviderSingleton.runWithConfig(config, fn)`: how LangChain and LangGraph
 * run user functions (lambdas, graph nodes, tool functions) on behalf of a run. The config's
 * callback manager names the run (`_parentRunId`); `fn` runs with that run's span active.
 */
function wrapRunWithConfig(original: Function, host: PatchHost): Function {
  return function runWithRunContext(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled()) return (original as AnyFn).apply(this, args);
    let ctx: ReturnType<GenAICallbackHandler['contextForConfig']>;
    try {
      ctx = host.handler.contextForConfig(args[0]);
    } catch (err) {
      logSwallowed('langchain runWithConfig', err);
    }
    if (ctx === undefined) return (original as AnyFn).apply(this, args);
    return context.with(ctx, original as AnyFn, this, ...args);
  };
}

/**
 * A method that starts a run and then does its work (`generate`, `StructuredTool.call`, ...):
 * run it in a {@link DeferredContext} that our handler points at the run's span as soon as
 * the run starts, so work inside the method nests under that span.
 */
function wrapAsync(original: Function, host: PatchHost): Function {
  return function runInRunContext(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled()) return (original as AnyFn).apply(this, args);
    return context.with(
      new DeferredContext(context.active(), this),
      original as AnyFn,
      this,
      ...args,
    );
  };
}

/** Async-generator methods: same as {@link wrapAsync} for every step, plus early-stop handling. */
function wrapStream(original: Function, host: PatchHost, isModel: boolean): Function {
  return function streamInRunContext(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled()) return (original as AnyFn).apply(this, args);
    const deferred = new DeferredContext(context.active(), this);
    const inner = context.with(deferred, original as AnyFn, this, ...args) as
      | AsyncGenerator<unknown, unknown, unknown>
      | undefined;
    if (!inner || typeof inner.next !== 'function') return inner;
    return iterateInContext(inner, deferred, host.handler, isModel);
  };
}

async function* iterateInContext(
  inner: AsyncGenerator<unknown, unknown, unknown>,
  deferred: DeferredContext,
  handler: GenAICallbackHandler,
  isModel: boolean,
): AsyncGenerator<unknown, unknown, unknown> {
  let finished = false;
  let inYield = false;
  let first = isModel;
  try {
    let sent: unknown;
    for (;;) {
      const step = await context.with(deferred, () => inner.next(sent));
      if (step.done) {
        finished = true;
        return step.value;
      }
      if (first) {
        first = false;
        try {
          handler.onStreamChunk(deferred);
        } catch (err) {
          logSwallowed('langchain stream chunk', err);
        }
      }
      inYield = true;
      sent = yield step.value;
      inYield = false;
    }
  } catch (err) {
    // Errors from LangChain's generator were already reported by LangChain (handle*Error).
    if (!inYield) finished = true;
    throw err;
  } finally {
    if (!finished) {
      // The consumer stopped early (break / return / cancel): close LangChain's generator the
      // same way, then end the run LangChain will never end.
      try {
        await context.with(deferred, () => inner.return(undefined));
      } catch {
        // closing errors are LangChain's business; the consumer already left
      }
      try {
        handler.onStreamCancelled(deferred);
      } catch (err) {
        logSwallowed('langchain stream cancel', err);
      }
    }
  }
}

/**
 * `Runnable.stream()` resolves to LangChain's IterableReadableStream. Runnables with their own
 * `_streamIterator` (RunnableSequence, graphs) never end their run when the consumer stops
 * early, so we watch the stream's `return()` / `cancel()` (the same object is returned).
 */
function wrapReadable(original: Function, host: PatchHost): Function {
  return function streamWithCancel(this: unknown, ...args: unknown[]) {
    if (!host.isEnabled()) return (original as AnyFn).apply(this, args);
    const deferred = new DeferredContext(context.active());
    const handler = host.handler;
    let unwatchSignal: (() => void) | undefined;
    try {
      unwatchSignal = watchAbort(args[1], deferred, handler);
    } catch (err) {
      logSwallowed('langchain stream signal', err);
    }
    const result = context.with(deferred, original as AnyFn, this, ...args);
    if (!(result instanceof Promise)) {
      unwatchSignal?.();
      return result;
    }
    // A side reaction registered before the caller's own: the watcher is in place by the time
    // the caller sees the stream, and the caller still gets LangChain's own promise.
    result.then(
      (readable) => {
        try {
          watchCancel(readable, deferred, handler);
          if (readable !== null && typeof readable === 'object')
            droppedStreams?.register(readable, { deferred, handler });
        } catch (err) {
          logSwallowed('langchain stream watch', err);
        }
      },
      () => {
        // The caller handles the rejection on the promise we return unchanged.
        unwatchSignal?.();
      },
    );
    return result;
  };
}

/**
 * A stream the application drops without reading it to the end, closing it or aborting it
 * (an early `return` between getting the stream and reading it, an exception in between) is
 * never ended by LangChain: its runs would stay open until `runTtlMs`. When the stream object
 * is garbage collected, its open runs end, cancelled, at their last activity. Only the stream
 * is watched (nothing here references it, so watching never keeps it alive); the finalizer is
 * a no-op for a stream whose runs already ended.
 */
const droppedStreams =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ deferred: DeferredContext; handler: GenAICallbackHandler }>(
        ({ deferred, handler }) => {
          try {
            handler.onStreamDropped(deferred);
          } catch (err) {
            logSwallowed('langchain dropped stream', err);
          }
        },
      )
    : undefined;

/**
 * A stream aborted through its `signal` (a user cancelling a response, or `streamEvents()`
 * when its consumer stops early) is abandoned by LangChain: its race with the signal rejects
 * and nothing resumes or closes the run's generator, so no end event ever comes for the run
 * or for the runs open below it. On abort we give LangChain the current turn to report the
 * runs it does end (its abort errors, which the handler records as cancellations), then end
 * the rest, cancelled, at the abort time. The
 * listener is removed when the stream's run ends, so a long-lived signal shared by many
 * calls does not collect listeners. Returns the remover.
 */
function watchAbort(
  options: unknown,
  deferred: DeferredContext,
  handler: GenAICallbackHandler,
): (() => void) | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const signal = (options as Obj).signal as AbortSignal | undefined;
  if (
    signal === undefined ||
    signal === null ||
    typeof signal.addEventListener !== 'function' ||
    signal.aborted
  )
    return undefined;
  const onAbort = () => {
    const abortedAt = Date.now();
    setImmediate(() => {
      try {
        handler.onStreamCancelled(deferred, abortedAt);
      } catch (err) {
        logSwallowed('langchain stream abort', err);
      }
    });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const unwatch = () => signal.removeEventListener('abort', onAbort);
  deferred.onRunReleased = unwatch;
  return unwatch;
}

function watchCancel(readable: unknown, deferred: DeferredContext, handler: GenAICallbackHandler) {
  if (!readable || typeof readable !== 'object') return;
  const obj = readable as Obj;
  for (const key of ['return', 'cancel']) {
    const orig = obj[key];
    if (typeof orig !== 'function') continue;
    Object.defineProperty(obj, key, {
      configurable: true,
      writable: true,
      value: function cancelAndEnd(this: unknown, ...a: unknown[]) {
        const out = (orig as AnyFn).apply(this, a);
        const end = () => {
          try {
            handler.onStreamCancelled(deferred);
          } catch (err) {
            logSwallowed('langchain stream cancel', err);
          }
        };
        if (out instanceof Promise) out.then(end, end);
        else end();
        return out;
      },
    });
  }
}
