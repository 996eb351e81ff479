import {
  ATTR_GENAI_OTEL_EMBEDDINGS_BATCH_SIZE,
  type GenAISpan,
  type GenAITelemetry,
  safely,
} from '@genai-otel/core';
import { type Attributes, type Context, context } from '@opentelemetry/api';
import { isActive, markActive } from './active.js';
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_LLAMAINDEX_CLASS,
  ATTR_LLAMAINDEX_NODE_COUNT,
  ATTR_STREAM_CHUNKS,
  markStreamAbandoned,
} from './attributes.js';
import { className, modelOf, providerOf, read, requestDetails } from './llm-details.js';
import { recordLLMResponse, StreamAccumulator } from './llm-response.js';
import {
  queryText,
  responseText,
  toDocuments,
  toInputMessages,
  toToolDefinitions,
} from './messages.js';
import { Patcher } from './patcher.js';
import { isAsyncIterable, isReadableStream, type StreamOutcome, traceStream } from './streams.js';
import type { LlamaIndexInstrumentationConfig } from './types.js';
import { traceWorkflowRun } from './workflow.js';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;
type Rec = Record<string, unknown>;

const MAX_PROTO_DEPTH = 16;
const MAX_DISCOVERY_DEPTH = 3;

/** Exported base classes we recognise (any copy of `@llamaindex/core` has its own set). */
interface Bases {
  BaseQueryEngine?: Function;
  BaseRetriever?: Function;
  BaseEmbedding?: Function;
  BaseLLM?: Function;
  BaseSynthesizer?: Function;
  BaseChatEngine?: Function;
  AgentRunner?: Function;
}

const BASE_NAMES: Array<keyof Bases> = [
  'BaseQueryEngine',
  'BaseRetriever',
  'BaseEmbedding',
  'BaseLLM',
  'BaseSynthesizer',
  'BaseChatEngine',
  'AgentRunner',
];

/** Object properties through which LlamaIndex components reach the components they call. */
const COMPONENT_KEYS = [
  'llm',
  'chatModel',
  'embedModel',
  'retriever',
  'responseSynthesizer',
  'contextGenerator',
  'queryEngine',
  'index',
];

function isClass(v: unknown): v is Function {
  return typeof v === 'function' && typeof (v as { prototype?: unknown }).prototype === 'object';
}

function extendsOrIs(C: Function, Base: Function | undefined): boolean {
  if (!Base) return false;
  try {
    return C === Base || C.prototype instanceof Base;
  } catch {
    return false;
  }
}

function ownFn(proto: object, key: string): boolean {
  const d = Object.getOwnPropertyDescriptor(proto, key);
  return !!d && typeof d.value === 'function';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Walks an object's prototype chain (bounded), most derived first. */
function* prototypes(obj: object): Generator<object> {
  let proto: object | null = Object.getPrototypeOf(obj);
  for (let i = 0; proto && proto !== Object.prototype && i < MAX_PROTO_DEPTH; i++) {
    yield proto;
    proto = Object.getPrototypeOf(proto);
  }
}

/**
 * All LlamaIndex patching: what to wrap on which classes and objects, and the wrappers that
 * produce spans. One instance per instrumentor; {@link restore} undoes everything.
 */
export class LlamaIndexHooks {
  readonly patcher = new Patcher();
  /** Objects already inspected by {@link discover} (reset on restore). */
  private discovered = new WeakSet<object>();
  active = true;

  constructor(
    private readonly telemetry: () => GenAITelemetry,
    private readonly config: () => LlamaIndexInstrumentationConfig,
  ) {}

  /**
   * Module objects and prototypes patched so far, to patch again on re-enable: OpenTelemetry
   * remembers one exports object per hooked file, but two versions (or a CJS and an ESM
   * copy) of `llamaindex` can be loaded at once. Bounded; module objects live forever anyway.
   */
  private readonly seenModules = new Set<object>();
  private readonly seenPrototypes = new Map<object, 'llm' | 'embedding' | 'retriever'>();
  private static readonly MAX_REMEMBERED = 1_000;

  restore(): void {
    this.patcher.restoreAll();
    this.discovered = new WeakSet();
  }

  /** Patches again everything patched before the last {@link restore}. */
  reapply(): void {
    safely('llamaindex reapply', () => {
      for (const m of this.seenModules) this.patchExports(m);
      for (const [proto, kind] of this.seenPrototypes) {
        if (kind === 'llm') this.patchLLMProto(proto);
        else if (kind === 'embedding') this.patchEmbeddingProto(proto);
        else this.patchRetrieverProto(proto);
      }
    });
  }

  private remember(proto: object, kind: 'llm' | 'embedding' | 'retriever'): void {
    if (this.seenPrototypes.size < LlamaIndexHooks.MAX_REMEMBERED)
      this.seenPrototypes.set(proto, kind);
  }

  private patchRetrieverProto(proto: object): void {
    if (ownFn(proto, 'retrieve') && ownFn(proto, '_handleRecursiveRetrieval'))
      this.patcher.wrap(proto, 'retrieve', (o) => this.retrieveWrapper(o));
  }

  // ---------------------------------------------------------------------------------------
  // Module and class patching

  /** Patches every LlamaIndex class a module (namespace) object exports. Never throws. */
  patchExports(moduleExports: unknown): void {
    safely('llamaindex patchExports', () => {
      if (!moduleExports || typeof moduleExports !== 'object') return;
      const m = moduleExports as Rec;
      if (this.seenModules.size < LlamaIndexHooks.MAX_REMEMBERED) this.seenModules.add(m);
      const bases: Bases = {};
      for (const name of BASE_NAMES) {
        const v = read(m, name);
        if (isClass(v)) bases[name] = v;
      }
      const classes = new Set<Function>();
      for (const key of Object.keys(m)) {
        const v = read(m, key);
        if (isClass(v)) classes.add(v);
      }
      for (const C of classes) {
        safely('llamaindex patch class', () => this.patchClass(C, bases));
        // Entries that do not export the base classes (`llamaindex/engines`, `/agent`, ...):
        // recognise LLMs, embeddings, retrievers and query engines by their shape.
        this.patchClassByShape(C);
      }
      this.patchSettings(read(m, 'Settings'));
    });
  }

  private patchClass(C: Function, bases: Bases): void {
    const proto = C.prototype as object;
    if (extendsOrIs(C, bases.AgentRunner)) {
      if (ownFn(proto, 'chat')) this.patcher.wrap(proto, 'chat', (o) => this.agentChatWrapper(o));
      if (ownFn(proto, 'getTools'))
        this.patcher.wrap(proto, 'getTools', (o) => this.getToolsWrapper(o));
      return;
    }
    if (extendsOrIs(C, bases.BaseQueryEngine)) {
      if (ownFn(proto, 'query'))
        this.patcher.wrap(proto, 'query', (o) => this.queryWrapper(o, 'query'));
      // Engines created before instrument() hold a `query` bound at construction: their
      // `_query` still runs through the prototype, so it opens the span when `query` did not.
      if (ownFn(proto, '_query'))
        this.patcher.wrap(proto, '_query', (o) => this.queryWrapper(o, '_query'));
    }
    if (extendsOrIs(C, bases.BaseRetriever) && ownFn(proto, 'retrieve')) {
      this.patcher.wrap(proto, 'retrieve', (o) => this.retrieveWrapper(o));
    }
    if (extendsOrIs(C, bases.BaseEmbedding)) this.patchEmbeddingProto(proto);
    if (extendsOrIs(C, bases.BaseLLM)) this.patchLLMProto(proto);
    if (extendsOrIs(C, bases.BaseSynthesizer) && ownFn(proto, 'synthesize')) {
      this.patcher.wrap(proto, 'synthesize', (o) => this.synthesizeWrapper(o));
    }
    const chatEngine = extendsOrIs(C, bases.BaseChatEngine) || /ChatEngine$/.test(C.name);
    if (chatEngine && ownFn(proto, 'chat') && !extendsOrIs(C, bases.BaseLLM)) {
      this.patcher.wrap(proto, 'chat', (o) => this.chatEngineWrapper(o));
    }
    // Workflow agents (`agent()` / `FunctionAgent` in llamaindex 0.10-0.11): their run is a
    // lazily driven event stream we must not consume, so no invoke_agent span; but each step
    // makes the agent's LLM and tools known, so LLM and execute_tool spans are recorded.
    if (ownFn(proto, 'takeStep') && /Agent$/.test(C.name)) {
      this.patcher.wrap(proto, 'takeStep', (o) => this.discoveringWrapper(o));
    }
    if (ownFn(proto, 'run') && /AgentWorkflow$/.test(C.name)) {
      this.patcher.wrap(proto, 'run', (o) => this.workflowRunWrapper(o));
    }
    // Rerankers among the node postprocessors (JinaAIReranker, CohereRerank, LLMRerank...).
    if (ownFn(proto, 'postprocessNodes') && /Rerank/i.test(C.name)) {
      this.patcher.wrap(proto, 'postprocessNodes', (o) => this.rerankWrapper(o));
    }
    // Tool classes with a prototype `call` (QueryEngineTool, ...); FunctionTool's `call` is
    // an instance property and is wrapped when an agent or LLM call hands the tool over.
    if (/Tool$/.test(C.name) && ownFn(proto, 'call') && !extendsOrIs(C, bases.BaseLLM)) {
      this.patcher.wrap(proto, 'call', (o) => this.toolWrapper(o));
    }
  }

  /**
   * Patches a class that was handed over on its own (a user-defined LLM or embedding class,
   * or a provider class from another copy of `@llamaindex/core`), recognised by its shape.
   */
  patchClassByShape(C: unknown): void {
    safely('llamaindex patchClassByShape', () => {
      if (!isClass(C)) return;
      const proto = C.prototype as object;
      const has = (k: string) => typeof read(proto, k) === 'function';
      const chain = [proto, ...prototypes(proto)];
      const kind =
        has('chat') && has('complete')
          ? 'llm'
          : has('getQueryEmbedding') && has('getTextEmbedding')
            ? 'embedding'
            : has('_retrieve') && has('retrieve')
              ? 'retriever'
              : undefined;
      if (kind) {
        for (const p of chain) {
          if (kind === 'llm') this.patchLLMProto(p);
          else if (kind === 'embedding') this.patchEmbeddingProto(p);
          else this.patchRetrieverProto(p);
          this.remember(p, kind);
        }
      } else if (has('_query') && has('query')) {
        for (const p of chain) {
          if (ownFn(p, 'query'))
            this.patcher.wrap(p, 'query', (o) => this.queryWrapper(o, 'query'));
          if (ownFn(p, '_query'))
            this.patcher.wrap(p, '_query', (o) => this.queryWrapper(o, '_query'));
        }
      }
    });
  }

  /**
   * `Settings.llm` / `Settings.embedModel`: models assigned there are discovered on
   * assignment (and the current ones now), so code paths we do not wrap (workflow agents,
   * direct `Settings.llm.chat()` calls) still produce LLM and embedding spans.
   */
  private patchSettings(settings: unknown): void {
    if (!settings || typeof settings !== 'object') return;
    for (const key of ['llm', 'embedModel']) {
      this.patcher.observeSetter(settings, key, (value) => this.discover(value));
      // The getters throw while nothing is set; `read` swallows that.
      this.discover(read(settings, key));
    }
    for (const key of ['withLLM', 'withEmbedModel']) {
      this.patcher.wrap(settings, key, (original) => {
        const hooks = this;
        return function (this: unknown, ...args: unknown[]) {
          if (hooks.active) hooks.discover(args[0]);
          return original.apply(this, args);
        };
      });
    }
  }

  private patchEmbeddingProto(proto: object): void {
    if (ownFn(proto, 'getQueryEmbedding'))
      this.patcher.wrap(proto, 'getQueryEmbedding', (o) => this.embeddingWrapper(o, 'query'));
    if (ownFn(proto, 'getTextEmbeddingsBatch'))
      this.patcher.wrap(proto, 'getTextEmbeddingsBatch', (o) => this.embeddingWrapper(o, 'batch'));
  }

  private patchLLMProto(proto: object): void {
    // BaseLLM's own `complete`/`exec`/`streamExec` delegate to `chat`: they only discover.
    // (BaseLLM is a root class without `chat`; newer versions also give it `exec`.)
    const isBase =
      ownFn(proto, 'exec') ||
      ownFn(proto, 'streamExec') ||
      (!ownFn(proto, 'chat') && Object.getPrototypeOf(proto) === Object.prototype);
    if (isBase) {
      for (const key of ['complete', 'exec', 'streamExec']) {
        if (ownFn(proto, key)) this.patcher.wrap(proto, key, (o) => this.discoveringWrapper(o));
      }
      return;
    }
    if (ownFn(proto, 'chat')) this.patcher.wrap(proto, 'chat', (o) => this.llmWrapper(o, 'chat'));
    if (ownFn(proto, 'complete'))
      this.patcher.wrap(proto, 'complete', (o) => this.llmWrapper(o, 'text_completion'));
  }

  /**
   * Finds LLM, embedding and retriever classes through live objects. This is how classes
   * from a second copy of `@llamaindex/core` (provider packages pinning another version)
   * and user-defined classes get traced: their prototypes are patched on first sight.
   */
  discover(obj: unknown, depth = 0): void {
    if (!obj || (typeof obj !== 'object' && typeof obj !== 'function')) return;
    if (depth > MAX_DISCOVERY_DEPTH) return;
    if (this.discovered.has(obj)) return;
    this.discovered.add(obj);
    safely('llamaindex discover', () => {
      if (looksLikeLLM(obj)) this.patchLLMObject(obj);
      else if (looksLikeEmbedding(obj)) {
        for (const proto of prototypes(obj)) {
          this.patchEmbeddingProto(proto);
          this.remember(proto, 'embedding');
        }
      } else if (looksLikeRetriever(obj)) {
        for (const proto of prototypes(obj)) {
          this.patchRetrieverProto(proto);
          this.remember(proto, 'retriever');
        }
      }
      for (const key of COMPONENT_KEYS) this.discover(read(obj, key), depth + 1);
    });
  }

  private patchLLMObject(llm: object): void {
    for (const proto of prototypes(llm)) {
      this.patchLLMProto(proto);
      this.remember(proto, 'llm');
    }
    // A `chat` assigned on the instance itself (class field, or set by the user).
    if (Object.hasOwn(llm, 'chat')) {
      this.patcher.wrap(llm, 'chat', (o) => this.llmWrapper(o, 'chat'), { instance: true });
    }
  }

  /** Wraps a tool object's `call` (own property or prototype method). */
  private patchTool(tool: unknown): void {
    safely('llamaindex patch tool', () => {
      if (!tool || typeof tool !== 'object' || typeof read(tool, 'call') !== 'function') return;
      if (Object.hasOwn(tool, 'call')) {
        this.patcher.wrap(tool, 'call', (o) => this.toolWrapper(o), { instance: true });
        return;
      }
      for (const proto of prototypes(tool)) {
        if (ownFn(proto, 'call')) {
          this.patcher.wrap(proto, 'call', (o) => this.toolWrapper(o));
          return;
        }
      }
    });
  }

  private patchTools(tools: unknown): void {
    if (Array.isArray(tools)) for (const t of tools.slice(0, 256)) this.patchTool(t);
  }

  /**
   * Wraps the per-instance methods of an engine or agent created before `instrument()`
   * (`query` and `chat` are bound to each instance at construction).
   */
  patchInstance(obj: unknown): boolean {
    return safely(
      'llamaindex patchInstance',
      () => {
        if (!obj || typeof obj !== 'object') return false;
        let patched = false;
        const own = (k: string) => Object.hasOwn(obj, k) && typeof read(obj, k) === 'function';
        const protoHas = (k: string) => typeof read(Object.getPrototypeOf(obj), k) === 'function';
        if (own('query') && protoHas('_query')) {
          patched =
            this.patcher.wrap(obj, 'query', (o) => this.queryWrapper(o, 'query'), {
              instance: true,
            }) || patched;
        }
        if (own('chat')) {
          const isAgent = protoHas('createTask') && protoHas('getTools');
          patched =
            this.patcher.wrap(
              obj,
              'chat',
              (o) => (isAgent ? this.agentChatWrapper(o) : this.chatEngineWrapper(o)),
              { instance: true },
            ) || patched;
        }
        this.discover(obj);
        return patched;
      },
      false,
    );
  }

  // ---------------------------------------------------------------------------------------
  // Span helpers

  private start(options: Parameters<GenAITelemetry['startSpan']>[0]): GenAISpan | undefined {
    // `genai_otel.framework` comes from the telemetry (this instrumentation's framework name).
    return safely('llamaindex startSpan', () => this.telemetry().startSpan(options));
  }

  private provider(model: unknown): string {
    const custom = safely('llamaindex providerName', () => this.config()?.providerName?.(model));
    return typeof custom === 'string' && custom ? custom : providerOf(model);
  }

  /**
   * Runs `original` inside `ctx` and reports its outcome: `onValue` for a successful result
   * (a promise is observed, not replaced, unless `onValue` returns a replacement value and
   * `replace` is set), `onError` for a thrown or rejected error. The caller gets the same
   * value, the same promise and the same error as without us.
   */
  private run(
    ctx: Context,
    thisArg: unknown,
    original: AnyFn,
    args: unknown[],
    onValue: (value: unknown) => unknown,
    onError: (error: unknown) => void,
    replace = false,
  ): unknown {
    let result: unknown;
    try {
      result = context.with(ctx, () => original.apply(thisArg, args));
    } catch (error) {
      safely('llamaindex onError', () => onError(error));
      throw error;
    }
    if (isThenable(result)) {
      if (replace && result instanceof Promise) {
        return result.then(
          (value) => safely('llamaindex onValue', () => onValue(value), value) ?? value,
          (error) => {
            safely('llamaindex onError', () => onError(error));
            throw error;
          },
        );
      }
      safely('llamaindex observe', () =>
        (result as PromiseLike<unknown>).then(
          (value) => {
            safely('llamaindex onValue', () => onValue(value));
          },
          (error) => {
            safely('llamaindex onError', () => onError(error));
          },
        ),
      );
      return result;
    }
    const replacement = safely('llamaindex onValue', () => onValue(result), result);
    return replace && replacement !== undefined ? replacement : result;
  }

  /**
   * A chain-like call (query, synthesis, chat engine, agent) whose result is a response or,
   * when `mayStream`, possibly a stream of it: the span ends when the stream does.
   */
  private runChain(
    span: GenAISpan,
    ctx: Context,
    thisArg: unknown,
    original: AnyFn,
    args: unknown[],
    mayStream: boolean,
  ): unknown {
    return this.run(
      ctx,
      thisArg,
      original,
      args,
      (value) => {
        if (mayStream) {
          const traced = this.endWithStream(span, ctx, value, { replaceable: true });
          if (traced !== undefined) return traced;
        }
        span.setOutput(responseText(value));
        span.end();
        return undefined;
      },
      (error) => {
        span.recordThrown(error);
        span.end();
      },
      true,
    );
  }

  /** Ends `span` when a returned stream finishes; otherwise records `onDone` and ends now. */
  private endWithStream(
    span: GenAISpan,
    ctx: Context,
    value: unknown,
    options: {
      /** The caller returns our replacement (needed for a `ReadableStream`). */
      replaceable: boolean;
      onChunk?: (chunk: unknown) => void;
      onStreamEnd?: () => void;
    },
  ): unknown {
    const { onChunk, onStreamEnd } = options;
    if (isReadableStream(value) ? !options.replaceable : !isAsyncIterable(value)) return undefined;
    let chunks = 0;
    return traceStream(value, {
      context: ctx,
      onChunk: (chunk) => {
        chunks++;
        onChunk?.(chunk);
      },
      onEnd: (outcome: StreamOutcome) => {
        span.setAttribute(ATTR_STREAM_CHUNKS, chunks);
        if (outcome.error !== undefined) span.recordThrown(outcome.error);
        if (outcome.abandoned) markStreamAbandoned(span);
        if (outcome.error === undefined) safely('llamaindex stream end', () => onStreamEnd?.());
        span.end(outcome.endTime);
      },
    });
  }

  // ---------------------------------------------------------------------------------------
  // Wrappers

  private discoveringWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      if (hooks.active) {
        hooks.discover(this);
        safely('llamaindex tools', () => {
          hooks.patchTools(read(args[0], 'tools'));
          for (const arg of args) if (Array.isArray(arg)) hooks.patchTools(arg);
        });
      }
      return original.apply(this, args);
    };
  }

  /** Query engines: a CHAIN span `query` over retrieval and synthesis. */
  private queryWrapper(original: AnyFn, method: 'query' | '_query'): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'query', this)) return original.apply(this, args);
      hooks.discover(this);
      const stream = method === 'query' ? read(args[0], 'stream') === true : args[1] === true;
      const span = hooks.start({
        kind: 'CHAIN',
        name: 'query',
        attributes: { [ATTR_LLAMAINDEX_CLASS]: className(this) },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex query input', () => span.setInput(queryText(args[0])));
      const ctx = markActive(span.context, 'query', this);
      return hooks.runChain(span, ctx, this, original, args, stream);
    };
  }

  /** Retrievers: `retrieval {class}` with the document count, ids and scores. */
  private retrieveWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'retrieve', this)) return original.apply(this, args);
      hooks.discover(this);
      const name = className(this);
      const span = hooks.start({
        kind: 'RETRIEVER',
        name,
        attributes: { [ATTR_LLAMAINDEX_CLASS]: name },
      });
      if (!span) return original.apply(this, args);
      const query = safely('llamaindex retrieval query', () => queryText(args[0]));
      const dataSourceId = safely('llamaindex data source', () => {
        const id = read(read(read(this, 'index'), 'indexStruct'), 'indexId');
        return typeof id === 'string' ? id : undefined;
      });
      return hooks.run(
        markActive(span.context, 'retrieve', this),
        this,
        original,
        args,
        (value) => {
          span.setRetrieval({ query, documents: toDocuments(value), dataSourceId });
          span.end();
        },
        (error) => {
          span.setRetrieval({ query, dataSourceId });
          span.recordThrown(error);
          span.end();
        },
      );
    };
  }

  /** Rerankers (`postprocessNodes(nodes, query)`): a RERANKER span with document counts. */
  private rerankWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'rerank', this)) return original.apply(this, args);
      const name = className(this);
      const model = modelOf(this);
      const span = hooks.start({
        kind: 'RERANKER',
        name: `rerank ${model ?? name}`,
        attributes: { [ATTR_LLAMAINDEX_CLASS]: name },
      });
      if (!span) return original.apply(this, args);
      const topN = read(this, 'topN') ?? read(this, 'topK');
      const query = safely('llamaindex rerank query', () => queryText({ query: args[1] }));
      safely('llamaindex rerank input', () =>
        span.setReranker({
          model,
          topK: typeof topN === 'number' ? topN : undefined,
          inputDocuments: toDocuments(args[0]),
        }),
      );
      return hooks.run(
        markActive(span.context, 'rerank', this),
        this,
        original,
        args,
        (value) => {
          span.setReranker({ query, outputDocuments: toDocuments(value) });
          span.end();
        },
        (error) => {
          span.recordThrown(error);
          span.end();
        },
      );
    };
  }

  /** Embedding models: `embeddings {model}` with the batch size. */
  private embeddingWrapper(original: AnyFn, kind: 'query' | 'batch'): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'embedding', this)) return original.apply(this, args);
      const model = modelOf(this) ?? className(this);
      const inputs = kind === 'batch' ? args[0] : [args[0]];
      const attributes: Attributes = { [ATTR_LLAMAINDEX_CLASS]: className(this) };
      if (Array.isArray(inputs)) attributes[ATTR_GENAI_OTEL_EMBEDDINGS_BATCH_SIZE] = inputs.length;
      const span = hooks.start({
        kind: 'EMBEDDING',
        name: model,
        provider: hooks.provider(this),
        attributes,
      });
      if (!span) return original.apply(this, args);
      if (kind === 'query')
        safely('llamaindex embedding input', () => span.setInput(queryText({ query: args[0] })));
      return hooks.run(
        markActive(span.context, 'embedding', this),
        this,
        original,
        args,
        (value) => {
          const first = kind === 'batch' && Array.isArray(value) ? value[0] : value;
          if (Array.isArray(first))
            span.setAttribute(ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, first.length);
          span.end();
        },
        (error) => {
          span.recordThrown(error);
          span.end();
        },
      );
    };
  }

  /** Response synthesizers: a CHAIN span `synthesize` over the LLM calls they make. */
  private synthesizeWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'synthesize', this)) return original.apply(this, args);
      hooks.discover(this);
      const nodes = read(args[0], 'nodes');
      const span = hooks.start({
        kind: 'CHAIN',
        name: 'synthesize',
        attributes: {
          [ATTR_LLAMAINDEX_CLASS]: className(this),
          ...(Array.isArray(nodes) ? { [ATTR_LLAMAINDEX_NODE_COUNT]: nodes.length } : {}),
        },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex synthesize input', () => span.setInput(queryText(read(args[0], 'query'))));
      const stream = args[1] === true;
      const ctx = markActive(span.context, 'synthesize', this);
      return hooks.runChain(span, ctx, this, original, args, stream);
    };
  }

  /** Chat engines: a CHAIN span `chat_engine` per `chat` call. */
  private chatEngineWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'chat_engine', this)) return original.apply(this, args);
      hooks.discover(this);
      const span = hooks.start({
        kind: 'CHAIN',
        name: 'chat_engine',
        attributes: { [ATTR_LLAMAINDEX_CLASS]: className(this) },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex chat input', () => span.setInput(queryText(args[0])));
      const ctx = markActive(span.context, 'chat_engine', this);
      return hooks.runChain(span, ctx, this, original, args, true);
    };
  }

  /** Agents (`AgentRunner`: LLMAgent, ReActAgent, OpenAIAgent...): `invoke_agent {class}`. */
  private agentChatWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'agent', this)) return original.apply(this, args);
      hooks.discover(this);
      const name = className(this);
      const span = hooks.start({
        kind: 'AGENT',
        name,
        attributes: { 'gen_ai.agent.name': name, [ATTR_LLAMAINDEX_CLASS]: name },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex agent input', () => span.setInput(queryText(args[0])));
      const ctx = markActive(span.context, 'agent', this);
      return hooks.runChain(span, ctx, this, original, args, true);
    };
  }

  /**
   * Workflow agents (`agent()`, `multiAgent()`): `run()` returns a workflow context that is
   * both awaitable and an async iterable of events, and that only runs while the caller
   * drives it. The `invoke_agent` span ends when it settles either way; the steps run in the
   * span's context because the caller's `then` / `next` calls are run inside it.
   */
  private workflowRunWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'agent', this)) return original.apply(this, args);
      const name = className(this);
      const span = hooks.start({
        kind: 'AGENT',
        name,
        attributes: { 'gen_ai.agent.name': name, [ATTR_LLAMAINDEX_CLASS]: name },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex workflow input', () => span.setInput(args[0]));
      const ctx = markActive(span.context, 'agent', this);
      let result: unknown;
      try {
        result = context.with(ctx, () => original.apply(this, args));
      } catch (error) {
        span.recordThrown(error);
        span.end();
        throw error;
      }
      const traced = safely(
        'llamaindex workflow context',
        () => traceWorkflowRun(result, span, ctx),
        false,
      );
      if (!traced) span.end();
      return result;
    };
  }

  private getToolsWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (!hooks.active) return result;
      if (isThenable(result)) {
        safely('llamaindex observe tools', () =>
          result.then(
            (tools) => hooks.patchTools(tools),
            () => undefined,
          ),
        );
      } else hooks.patchTools(result);
      return result;
    };
  }

  /** Tools: `execute_tool {name}`. */
  private toolWrapper(original: AnyFn): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'tool', this)) return original.apply(this, args);
      const metadata = read(this, 'metadata');
      const rawName = read(metadata, 'name');
      const name = typeof rawName === 'string' && rawName ? rawName : className(this);
      const description = read(metadata, 'description');
      const span = hooks.start({ kind: 'TOOL', name });
      if (!span) return original.apply(this, args);
      span.setTool({
        name,
        type: 'function',
        description: typeof description === 'string' ? description : undefined,
        arguments: args[0],
      });
      return hooks.run(
        markActive(span.context, 'tool', this),
        this,
        original,
        args,
        (value) => {
          span.setTool({ result: value });
          span.end();
        },
        (error) => {
          span.recordThrown(error);
          span.end();
        },
      );
    };
  }

  /** LLM `chat` / `complete`: `{operation} {model}` CLIENT spans. */
  private llmWrapper(original: AnyFn, operation: 'chat' | 'text_completion'): AnyFn {
    const hooks = this;
    return function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!hooks.active || isActive(parent, 'llm', this)) return original.apply(this, args);
      const params = args[0];
      // Request details at start: samplers see model, provider and server.
      const request = safely('llamaindex llm request details', () => requestDetails(this, params));
      const span = hooks.start({
        kind: 'LLM',
        operation,
        name: modelOf(this) ?? className(this),
        provider: hooks.provider(this),
        request,
        attributes: { [ATTR_LLAMAINDEX_CLASS]: className(this) },
      });
      if (!span) return original.apply(this, args);
      safely('llamaindex llm request', () => {
        if (request) span.setRequest(request);
        if (span.policy.enabled) {
          if (operation === 'chat')
            span.setInputMessages(toInputMessages(read(params, 'messages')));
          else {
            const prompt = read(params, 'prompt');
            span.setInputMessages(toInputMessages([{ role: 'user', content: prompt }]));
          }
          const tools = toToolDefinitions(read(params, 'tools'));
          if (tools.length > 0) span.setToolDefinitions(tools);
        }
        hooks.patchTools(read(params, 'tools'));
      });
      const ctx = markActive(span.context, 'llm', this);
      return hooks.run(
        ctx,
        this,
        original,
        args,
        (value) => {
          if (isAsyncIterable(value) && !isReadableStream(value)) {
            const acc = new StreamAccumulator(operation);
            hooks.endWithStream(span, ctx, value, {
              replaceable: false,
              onChunk: (chunk) => {
                span.markFirstChunk();
                acc.add(chunk);
              },
              onStreamEnd: () => acc.finish(span),
            });
            return;
          }
          recordLLMResponse(span, value, operation);
          span.end();
        },
        (error) => {
          span.recordThrown(error);
          span.end();
        },
      );
    };
  }
}

function looksLikeLLM(obj: object): boolean {
  return (
    typeof read(obj, 'chat') === 'function' &&
    typeof read(obj, 'complete') === 'function' &&
    read(obj, 'metadata') !== undefined
  );
}

function looksLikeEmbedding(obj: object): boolean {
  return (
    typeof read(obj, 'getQueryEmbedding') === 'function' &&
    typeof read(obj, 'getTextEmbedding') === 'function'
  );
}

function looksLikeRetriever(obj: object): boolean {
  return (
    typeof read(obj, 'retrieve') === 'function' && typeof read(obj, '_retrieve') === 'function'
  );
}
