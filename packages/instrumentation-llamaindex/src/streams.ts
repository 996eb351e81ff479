import { logSwallowed, safely } from '@genai-otel/core';
import { type Context, context } from '@opentelemetry/api';

/** How a traced stream finished. */
export interface StreamOutcome {
  error?: unknown;
  /** The consumer stopped early (`break`, `return()`, `cancel()`) or dropped the stream. */
  abandoned?: boolean;
  /**
   * When the stream was found dropped (garbage collected): the epoch ms of its last observed
   * activity (handed over, or a chunk delivered), for the spans' end. Undefined: end now.
   */
  endTime?: number;
}

export interface StreamHooks {
  /** Context the producer's work runs in (so child spans nest under ours). */
  context: Context;
  onChunk?: (chunk: unknown) => void;
  /** Called exactly once. */
  onEnd: (outcome: StreamOutcome) => void;
}

type AnyIter = {
  next?: (...a: unknown[]) => unknown;
  return?: (...a: unknown[]) => unknown;
  throw?: (...a: unknown[]) => unknown;
};

/**
 * Streams that are dropped without being consumed or closed still end their span when the
 * stream object is garbage collected (so no span, and nothing it holds, lives forever). The
 * span then ends at the stream's last observed activity, not at the collection, which can come
 * much later and would inflate the span, the duration metric and latency-based sampling.
 */
const dropped =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<() => void>((finish) => safely('stream finalizer', finish))
    : undefined;

export function isAsyncIterable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

export function isReadableStream(value: unknown): value is ReadableStream {
  return (
    typeof ReadableStream === 'function' &&
    value instanceof ReadableStream &&
    typeof (value as ReadableStream).getReader === 'function'
  );
}

/**
 * Observes a stream returned to the application without changing what it is: an async
 * iterable keeps its identity (its iterator methods are wrapped in place), a `ReadableStream`
 * is replaced by an equivalent `ReadableStream`. `hooks.onEnd` runs once: when the stream is
 * exhausted, fails, is closed early, or is garbage collected unconsumed. Returns `value`
 * untouched (and ends immediately) when it cannot be observed.
 */
export function traceStream<T>(value: T, hooks: StreamHooks): T {
  let done = false;
  const token = {};
  let lastActivityMs = Date.now();
  const finish = (outcome: StreamOutcome) => {
    if (done) return;
    done = true;
    safely('stream end', () => dropped?.unregister(token));
    safely('stream onEnd', () => hooks.onEnd(outcome));
  };
  // The finalizer's held value: it must not reference the stream (nor may anything it holds).
  const collected = () => finish({ abandoned: true, endTime: lastActivityMs });
  const observed: StreamHooks = {
    context: hooks.context,
    onChunk: (chunk) => {
      lastActivityMs = Date.now();
      hooks.onChunk?.(chunk);
    },
    onEnd: hooks.onEnd,
  };
  try {
    if (isReadableStream(value)) {
      const out = traceReadable(value, observed, finish);
      dropped?.register(out, collected, token);
      return out as T;
    }
    if (isAsyncIterable(value)) {
      if (!Object.isExtensible(value)) {
        finish({});
        return value;
      }
      instrumentIterable(value as object, observed, finish, () => done);
      dropped?.register(value as object, collected, token);
      return value;
    }
  } catch (err) {
    logSwallowed('llamaindex traceStream', err);
  }
  finish({});
  return value;
}

function instrumentIterable(
  iterable: object,
  hooks: StreamHooks,
  finish: (o: StreamOutcome) => void,
  isDone: () => boolean,
): void {
  const seen = new WeakSet<object>();
  const instrumentIterator = (it: unknown): void => {
    if (!it || typeof it !== 'object' || seen.has(it) || !Object.isExtensible(it)) return;
    seen.add(it);
    const iter = it as AnyIter;
    const next = iter.next;
    if (typeof next === 'function') {
      define(iter, 'next', function (this: unknown, ...args: unknown[]) {
        const result = context.with(hooks.context, () => next.apply(this, args));
        return settle(result, (r) => {
          const res = r as IteratorResult<unknown> | undefined;
          if (!res || res.done) finish({});
          else if (!isDone() && hooks.onChunk) {
            const chunk = res.value;
            safely('stream chunk', () => hooks.onChunk?.(chunk));
          }
        });
      });
    }
    const ret = iter.return;
    define(iter, 'return', function (this: unknown, ...args: unknown[]) {
      const abandoned = () => finish({ abandoned: true });
      if (typeof ret !== 'function') {
        abandoned();
        return Promise.resolve({ done: true, value: args[0] });
      }
      const result = context.with(hooks.context, () => ret.apply(this, args));
      return settle(result, abandoned);
    });
    const thr = iter.throw;
    if (typeof thr === 'function') {
      define(iter, 'throw', function (this: unknown, ...args: unknown[]) {
        const result = context.with(hooks.context, () => thr.apply(this, args));
        return settle(result, (r) => {
          if ((r as IteratorResult<unknown> | undefined)?.done !== false)
            finish({ error: args[0] });
        });
      });
    }
  };

  const factory = (iterable as Record<symbol, unknown>)[Symbol.asyncIterator] as (
    this: unknown,
  ) => unknown;
  define(iterable, Symbol.asyncIterator, function (this: unknown) {
    // Creating the iterator can start the producer's work (workflow streams do): in our context.
    const it = context.with(hooks.context, () => factory.call(this));
    safely('stream iterator', () => instrumentIterator(it));
    return it;
  });
  // Async generators are their own iterators: callers may use `.next()` directly.
  if (typeof (iterable as AnyIter).next === 'function') instrumentIterator(iterable);

  function settle(result: unknown, onValue: (value: unknown) => void): unknown {
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (value) => {
          onValue(value);
          return value;
        },
        (error) => {
          finish({ error });
          throw error;
        },
      );
    }
    onValue(result);
    return result;
  }
}

function traceReadable(
  stream: ReadableStream,
  hooks: StreamHooks,
  finish: (o: StreamOutcome) => void,
): ReadableStream {
  let reader: ReadableStreamDefaultReader | undefined;
  const getReader = () => {
    reader ??= stream.getReader();
    return reader;
  };
  return new ReadableStream({
    async pull(controller) {
      try {
        const r = await context.with(hooks.context, () => getReader().read());
        if (r.done) {
          finish({});
          controller.close();
        } else {
          if (hooks.onChunk) safely('stream chunk', () => hooks.onChunk?.(r.value));
          controller.enqueue(r.value);
        }
      } catch (error) {
        finish({ error });
        controller.error(error);
      }
    },
    cancel(reason) {
      finish({ abandoned: true });
      return getReader().cancel(reason);
    },
  });
}

function define(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
