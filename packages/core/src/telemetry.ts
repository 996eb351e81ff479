import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { LogAttributes, Logger } from '@opentelemetry/api-logs';
import { type GenAIInstrumentationConfig, resolveSemconv } from './config.js';
import { ContentPolicy } from './content.js';
import { getGenAIContextAttributes } from './context-attributes.js';
import { logSwallowed, safely } from './guard.js';
import {
  type InputMessage,
  type MessagePart,
  type OutputMessage,
  type RetrievedDocument,
  type ToolDefinition,
  textPart,
} from './messages.js';
import { type GenAIMetricAttributes, GenAIMetrics } from './metrics.js';
import { type CollectedContent, toOpenInference } from './openinference.js';
import * as sc from './semconv.js';
import { safeStringify, toPlain, truncate } from './serialize.js';
import { ContextChain } from './span-context-chain.js';
import {
  claimAncestors,
  markCallRecordedOnAncestors,
  openUsageSlot,
  type UsageSlot,
} from './usage.js';

/** What an instrumentation knows when a unit of GenAI work starts. */
export interface StartSpanOptions {
  kind: sc.GenAISpanKind;
  /** `gen_ai.operation.name`; defaults from `kind` (LLM: chat, TOOL: execute_tool, ...). */
  operation?: string;
  /** Model, tool, retriever, agent or chain name, used in the span name. */
  name?: string;
  /** Overrides the computed span name (CHAIN spans default to `name`). */
  spanName?: string;
  provider?: string;
  /** Explicit parent; defaults to the active context. */
  parentContext?: Context;
  /**
   * The span of the call this one is part of (a framework's enclosing run). Its content policy
   * and vocabularies apply to this span too, so a call resolves them (and reads the
   * environment) once, not once per span; they are resolved afresh if the instrumentation's
   * config object has been replaced (`setConfig`) since that span started.
   */
  within?: GenAISpan;
  startTime?: number | Date;
  spanKind?: SpanKind;
  /** Start attributes: what samplers see (use for anything a sampling rule may need). */
  attributes?: Attributes;
  /**
   * Attributes set right after the span starts: recorded on the span like `attributes`, but not
   * shown to samplers, and cheaper (the SDK validates start attributes three times). For
   * bookkeeping such as a framework's run id. A key also given in `attributes` keeps that value.
   */
  details?: Attributes;
  /**
   * Request details known at start (same as {@link GenAISpan.setRequest}), recorded as start
   * attributes so that samplers see them (model, server address/port...).
   */
  request?: RequestDetails;
}

export interface RequestDetails {
  model?: string;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stopSequences?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  choiceCount?: number;
  stream?: boolean;
  serverAddress?: string;
  serverPort?: number;
  /** `gen_ai.output.type` (`text`, `json`, `image`, `speech`). */
  outputType?: string;
}

export interface ResponseDetails {
  id?: string;
  model?: string;
  finishReasons?: string[];
}

export interface TokenUsage {
  /** Total input tokens, cached tokens included (as the conventions define it). */
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  reasoningOutputTokens?: number;
}

export interface ToolCallDetails {
  name?: string;
  callId?: string;
  type?: 'function' | 'extension' | 'datastore' | string;
  description?: string;
  arguments?: unknown;
  result?: unknown;
  /**
   * The tool's parameter schema (not content). Emitted only in the OpenInference vocabulary
   * (`tool.parameters`), bounded in size.
   */
  parameters?: unknown;
}

export interface AgentDetails {
  id?: string;
  name?: string;
  description?: string;
  version?: string;
}

export interface EmbeddingsDetails {
  /** The texts embedded (content: recorded only with capture on). */
  inputs?: unknown[];
  /** `gen_ai.embeddings.dimension.count`. */
  dimensionCount?: number;
  /** `gen_ai.request.encoding_formats`. */
  encodingFormats?: string[];
}

export interface RerankerDetails {
  /** The query (content). */
  query?: string;
  /** The reranking model (`gen_ai.request.model`). */
  model?: string;
  topK?: number;
  inputDocuments?: RetrievedDocument[];
  outputDocuments?: RetrievedDocument[];
}

export interface RetrievalDetails {
  query?: string;
  documents?: RetrievedDocument[];
  dataSourceId?: string;
}

/** Documents recorded per span (the rest are counted, not listed). */
const MAX_DOCUMENTS = 100;

const DEFAULT_OPERATION: Record<sc.GenAISpanKind, string | undefined> = {
  LLM: sc.GEN_AI_OPERATION.CHAT,
  EMBEDDING: sc.GEN_AI_OPERATION.EMBEDDINGS,
  RETRIEVER: sc.GEN_AI_OPERATION.RETRIEVAL,
  RERANKER: undefined,
  TOOL: sc.GEN_AI_OPERATION.EXECUTE_TOOL,
  AGENT: sc.GEN_AI_OPERATION.INVOKE_AGENT,
  CHAIN: undefined,
};

const DEFAULT_SPAN_KIND: Record<sc.GenAISpanKind, SpanKind> = {
  LLM: SpanKind.CLIENT,
  EMBEDDING: SpanKind.CLIENT,
  RETRIEVER: SpanKind.CLIENT,
  RERANKER: SpanKind.INTERNAL,
  TOOL: SpanKind.INTERNAL,
  AGENT: SpanKind.INTERNAL,
  CHAIN: SpanKind.INTERNAL,
};

/** `{operation} {name}` as the conventions name spans; CHAIN spans keep their own name. */
export function genAISpanName(
  kind: sc.GenAISpanKind,
  operation: string | undefined,
  name?: string,
): string {
  const workflow = kind === 'CHAIN' && operation === sc.GEN_AI_OPERATION.INVOKE_WORKFLOW;
  if ((kind === 'CHAIN' && !workflow) || kind === 'RERANKER' || !operation)
    return name || operation || kind.toLowerCase();
  return name ? `${operation} ${name}` : operation;
}

/**
 * The one place where GenAI spans and metrics are produced. Each instrumentation owns one,
 * built from its own tracer/meter getters and live config, so provider changes and config
 * changes (`setConfig`) take effect on the next call.
 */
export class GenAITelemetry {
  private metricsCache: GenAIMetrics | undefined;

  /**
   * @param getLogger The logger for content events, or undefined (also its absence) when no
   *   LoggerProvider is configured: the event then goes on the span.
   */
  constructor(
    private readonly getTracer: () => Tracer,
    private readonly getMeter: () => Meter,
    private readonly getConfig: () => GenAIInstrumentationConfig,
    readonly framework: string,
    private readonly getLogger?: () => Logger | undefined,
  ) {}

  get tracer(): Tracer {
    return this.getTracer();
  }

  get metrics(): GenAIMetrics {
    const meter = this.getMeter();
    if (!this.metricsCache || this.metricsCache.meter !== meter)
      this.metricsCache = new GenAIMetrics(meter);
    return this.metricsCache;
  }

  /** Where content events go: a logger, or undefined for a span event. Never throws. */
  contentLogger(): Logger | undefined {
    return this.getLogger ? safely('content logger', this.getLogger, undefined) : undefined;
  }

  /** The content policy for a call starting now. */
  contentPolicy(): ContentPolicy {
    return new ContentPolicy(this.getConfig() ?? {});
  }

  /** Starts a GenAI span. Never throws: on internal failure a non-recording handle is returned. */
  startSpan(options: StartSpanOptions): GenAISpan {
    try {
      return new GenAISpan(this, options, this.getConfig() ?? {});
    } catch (err) {
      logSwallowed('startSpan', err);
      return GenAISpan.noop(this, options);
    }
  }
}

/**
 * A GenAI span in progress: collects request, response, usage and (policy permitting) content,
 * then on {@link end} writes attributes in the configured vocabularies and records metrics.
 * All methods are guarded and idempotent after `end()`.
 */
export class GenAISpan {
  readonly span: Span;
  /** Context with this span active (and, for LLM spans, its usage slot): run child work in it. */
  readonly context: Context;
  readonly kind: sc.GenAISpanKind;
  readonly operation: string | undefined;
  readonly policy: ContentPolicy;
  private readonly openInference: boolean;
  private readonly startMs: number;
  /**
   * Mirror of the attributes written, kept only when something reads them back at end
   * (OpenInference mapping, the content event): the common path keeps no copy.
   */
  private readonly attrs: Attributes | undefined;
  /** The low-cardinality metric attributes, tracked as they are written. */
  private provider: string | undefined;
  private requestModel: string | undefined;
  private responseModel: string | undefined;
  private readonly content: CollectedContent = {};
  private readonly usageSlot: UsageSlot | undefined;
  private usage: TokenUsage | undefined;
  private firstChunkMs: number | undefined;
  private errorType: string | undefined;
  private ended = false;
  private recording = true;
  private readonly spanRecording: boolean;

  constructor(
    private readonly telemetry: GenAITelemetry,
    options: StartSpanOptions,
    /** The live config this span's settings were resolved from (see `within`). */
    private readonly config: GenAIInstrumentationConfig,
    noopSpan?: Span,
  ) {
    this.kind = options.kind;
    this.operation = options.operation ?? DEFAULT_OPERATION[options.kind];
    const within = options.within;
    if (within !== undefined && within.config === config) {
      this.policy = within.policy;
      this.openInference = within.openInference;
    } else {
      this.policy = new ContentPolicy(config);
      this.openInference = resolveSemconv(config).openInference;
    }
    const parent = options.parentContext ?? context.active();
    const name = nonEmpty(options.name);
    // Built imperatively (no spreads): this runs for every span on the hot path.
    // Start attributes are what samplers see (the conventions' sampling-relevant attributes,
    // request parameters and the application's context attributes). Our own bookkeeping is set
    // right after start instead: the SDK validates start attributes three times (twice around
    // the sampler, once on the span) and `setAttribute` once.
    const startAttrs: Attributes = {};
    if (this.operation) startAttrs[sc.ATTR_GEN_AI_OPERATION_NAME] = this.operation;
    if (options.provider) startAttrs[sc.ATTR_GEN_AI_PROVIDER_NAME] = options.provider;
    if (name) {
      const nameKey = nameAttributeKey(options.kind, this.operation);
      if (nameKey) startAttrs[nameKey] = name;
    }
    const contextAttrs = getGenAIContextAttributes(parent);
    if (contextAttrs) Object.assign(startAttrs, contextAttrs);
    if (options.request) {
      try {
        writeRequestAttributes(startAttrs, options.request);
      } catch (err) {
        logSwallowed('start request', err);
      }
    }
    if (options.attributes) Object.assign(startAttrs, options.attributes);
    // Set after start, unless given at start (start attributes win, as they always have).
    const details: Attributes = {};
    if (!Object.hasOwn(startAttrs, sc.ATTR_GENAI_OTEL_SPAN_KIND))
      details[sc.ATTR_GENAI_OTEL_SPAN_KIND] = options.kind;
    if (this.telemetry.framework && !Object.hasOwn(startAttrs, sc.ATTR_GENAI_OTEL_FRAMEWORK))
      details[sc.ATTR_GENAI_OTEL_FRAMEWORK] = this.telemetry.framework;
    if (options.details) {
      for (const k in options.details)
        if (Object.hasOwn(options.details, k) && !Object.hasOwn(startAttrs, k))
          details[k] = options.details[k];
    }
    this.provider = str(startAttrs[sc.ATTR_GEN_AI_PROVIDER_NAME]);
    this.requestModel = str(startAttrs[sc.ATTR_GEN_AI_REQUEST_MODEL]);
    this.responseModel = str(startAttrs[sc.ATTR_GEN_AI_RESPONSE_MODEL]);
    this.attrs =
      this.openInference || this.policy.onEvent
        ? Object.assign({}, details, startAttrs)
        : undefined;
    const spanName = options.spanName ?? genAISpanName(options.kind, this.operation, name);
    this.startMs = toMillis(options.startTime) ?? Date.now();
    this.span =
      noopSpan ??
      this.telemetry.tracer.startSpan(
        spanName,
        {
          kind: options.spanKind ?? DEFAULT_SPAN_KIND[options.kind],
          attributes: startAttrs,
          startTime: options.startTime,
        },
        parent,
      );
    try {
      this.span.setAttributes(details);
    } catch (err) {
      logSwallowed('span details', err);
    }
    // A chain node per derived value instead of a full context copy (see ContextChain).
    let ctx = trace.setSpan(ContextChain.over(parent), this.span);
    if (options.kind === 'LLM' || options.kind === 'EMBEDDING') {
      const opened = openUsageSlot(ctx);
      this.usageSlot = opened.slot;
      ctx = opened.context;
    }
    this.context = ctx;
    let spanRecording = true;
    try {
      spanRecording = this.span.isRecording() !== false;
    } catch (err) {
      logSwallowed('isRecording', err);
    }
    this.spanRecording = spanRecording;
  }

  /**
   * A handle that records nothing (no span, no metrics): returned when starting a span failed,
   * so instrumentations can call every method without checks.
   */
  static noop(telemetry: GenAITelemetry, options: StartSpanOptions): GenAISpan {
    let kind: sc.GenAISpanKind = 'CHAIN';
    try {
      if (options && Object.hasOwn(DEFAULT_SPAN_KIND, options.kind)) kind = options.kind;
    } catch {
      // hostile options: keep CHAIN
    }
    const s = new GenAISpan(
      telemetry,
      { kind, parentContext: ROOT_CONTEXT },
      { captureContent: false, semconv: ['gen_ai'] },
      trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    );
    s.recording = false;
    return s;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Runs `fn` with this span (and its usage slot) active. */
  with<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  setAttribute(key: string, value: AttributeValue | undefined | null): this {
    if (!this.ended) this.write(key, value);
    return this;
  }

  private write(key: string, value: AttributeValue | undefined | null): void {
    if (value === undefined || value === null) return;
    if (this.attrs) this.attrs[key] = value;
    if (key === sc.ATTR_GEN_AI_PROVIDER_NAME) this.provider = str(value);
    else if (key === sc.ATTR_GEN_AI_REQUEST_MODEL) this.requestModel = str(value);
    else if (key === sc.ATTR_GEN_AI_RESPONSE_MODEL) this.responseModel = str(value);
    try {
      this.span.setAttribute(key, value);
    } catch (err) {
      logSwallowed('setAttribute', err);
    }
  }

  setAttributes(attrs: Attributes): this {
    if (this.ended) return this;
    try {
      for (const k in attrs) if (Object.hasOwn(attrs, k)) this.write(k, attrs[k]);
    } catch (err) {
      logSwallowed('setAttributes', err);
    }
    return this;
  }

  setProvider(provider: string | undefined): this {
    return this.setAttribute(sc.ATTR_GEN_AI_PROVIDER_NAME, provider);
  }

  setRequest(r: RequestDetails): this {
    if (this.ended) return this;
    try {
      this.setAttributes(writeRequestAttributes({}, r));
    } catch (err) {
      logSwallowed('setRequest', err);
    }
    return this;
  }

  setResponse(r: ResponseDetails): this {
    if (this.ended) return this;
    try {
      this.write(sc.ATTR_GEN_AI_RESPONSE_ID, nonEmpty(r.id));
      this.write(sc.ATTR_GEN_AI_RESPONSE_MODEL, nonEmpty(r.model));
      if (Array.isArray(r.finishReasons) && r.finishReasons.length > 0) {
        this.write(
          sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
          r.finishReasons.slice(0, 32).map((f) => String(f).slice(0, 64)),
        );
      }
    } catch (err) {
      logSwallowed('setResponse', err);
    }
    return this;
  }

  /** Usage is written at {@link end}, after the de-duplication check. Later calls merge. */
  setUsage(u: TokenUsage): this {
    if (this.ended) return this;
    try {
      const merged: TokenUsage = this.usage ?? {};
      if (u.inputTokens != null) merged.inputTokens = u.inputTokens;
      if (u.outputTokens != null) merged.outputTokens = u.outputTokens;
      if (u.cacheReadInputTokens != null) merged.cacheReadInputTokens = u.cacheReadInputTokens;
      if (u.cacheCreationInputTokens != null)
        merged.cacheCreationInputTokens = u.cacheCreationInputTokens;
      if (u.reasoningOutputTokens != null) merged.reasoningOutputTokens = u.reasoningOutputTokens;
      this.usage = merged;
    } catch (err) {
      logSwallowed('setUsage', err);
    }
    return this;
  }

  /** Marks the first streamed chunk (only the first call counts). */
  markFirstChunk(atMs: number = Date.now()): this {
    if (!this.ended && this.firstChunkMs === undefined) {
      this.firstChunkMs = atMs;
      this.setAttribute(
        sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        Math.max(0, atMs - this.startMs) / 1000,
      );
    }
    return this;
  }

  /** System instructions: an array of message parts, or a string (becomes one text part). */
  setSystemInstructions(parts: unknown): this {
    const normalised: unknown = typeof parts === 'string' ? [textPart(parts)] : parts;
    this.content.systemInstructions =
      (this.keep(normalised) as MessagePart[] | undefined) ?? this.content.systemInstructions;
    return this.putContent(sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, normalised);
  }

  setInputMessages(messages: InputMessage[]): this {
    this.content.inputMessages = this.keep(messages) ?? this.content.inputMessages;
    return this.putContent(sc.ATTR_GEN_AI_INPUT_MESSAGES, messages);
  }

  setOutputMessages(messages: OutputMessage[]): this {
    this.content.outputMessages = this.keep(messages) ?? this.content.outputMessages;
    return this.putContent(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, messages);
  }

  /** Tools offered to the model (opt-in content, like the conventions say). */
  setToolDefinitions(tools: ToolDefinition[]): this {
    this.content.toolDefinitions = this.keep(tools) ?? this.content.toolDefinitions;
    return this.putContent(sc.ATTR_GEN_AI_TOOL_DEFINITIONS, tools);
  }

  /** `gen_ai.conversation.id` reported by the provider/framework (never synthesised). */
  setConversationId(id: string | undefined): this {
    return this.setAttribute(sc.ATTR_GEN_AI_CONVERSATION_ID, nonEmpty(id));
  }

  /** `gen_ai.agent.*` (AGENT spans; name also comes from `startSpan({ name })`). */
  setAgent(a: AgentDetails): this {
    safely('setAgent', () => {
      this.setAttribute(sc.ATTR_GEN_AI_AGENT_ID, nonEmpty(a.id));
      this.setAttribute(sc.ATTR_GEN_AI_AGENT_NAME, nonEmpty(a.name));
      this.setAttribute(sc.ATTR_GEN_AI_AGENT_DESCRIPTION, nonEmpty(a.description));
      this.setAttribute(sc.ATTR_GEN_AI_AGENT_VERSION, nonEmpty(a.version));
    });
    return this;
  }

  /**
   * EMBEDDING spans: batch size and dimension count always; the input texts only when
   * content capture is on (`genai_otel.input`, OpenInference `embedding.embeddings.N.embedding.text`).
   */
  setEmbeddings(e: EmbeddingsDetails): this {
    safely('setEmbeddings', () => {
      if (Array.isArray(e.inputs)) {
        this.setAttribute(sc.ATTR_GENAI_OTEL_EMBEDDINGS_BATCH_SIZE, e.inputs.length);
        this.content.embeddingInputs =
          this.keep(e.inputs.slice(0, MAX_DOCUMENTS)) ?? this.content.embeddingInputs;
        this.putContent(sc.ATTR_GENAI_OTEL_INPUT, e.inputs);
      }
      this.setAttribute(sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, count(e.dimensionCount));
      if (Array.isArray(e.encodingFormats) && e.encodingFormats.length > 0)
        this.setAttribute(
          sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
          e.encodingFormats.slice(0, 8).map((f) => String(f).slice(0, 64)),
        );
    });
    return this;
  }

  /**
   * RERANKER spans: model, top-k and document counts always; the query (as
   * `gen_ai.retrieval.query.text`) and the output documents (as `gen_ai.retrieval.documents`)
   * follow the same rules as {@link setRetrieval}.
   */
  setReranker(r: RerankerDetails): this {
    safely('setReranker', () => {
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_MODEL, nonEmpty(r.model));
      this.setAttribute(sc.ATTR_GENAI_OTEL_RERANKER_TOP_K, count(r.topK));
      if (Array.isArray(r.inputDocuments)) {
        this.setAttribute(
          sc.ATTR_GENAI_OTEL_RERANKER_INPUT_DOCUMENT_COUNT,
          r.inputDocuments.length,
        );
        const listed = r.inputDocuments.slice(0, MAX_DOCUMENTS);
        if (!this.ended) this.content.rerankerInputDocuments = this.keepDocuments(listed);
      }
      if (Array.isArray(r.outputDocuments))
        this.setAttribute(
          sc.ATTR_GENAI_OTEL_RERANKER_OUTPUT_DOCUMENT_COUNT,
          r.outputDocuments.length,
        );
      this.recordQueryAndDocuments(r.query, r.outputDocuments, false);
      if (r.query !== undefined)
        this.content.rerankerQuery = this.keep(r.query) ?? this.content.rerankerQuery;
    });
    return this;
  }

  setTool(t: ToolCallDetails): this {
    safely('setTool', () => {
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_NAME, nonEmpty(t.name));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ID, nonEmpty(t.callId));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_TYPE, nonEmpty(t.type));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_DESCRIPTION, nonEmpty(t.description, 1024));
      if (t.parameters !== undefined && !this.ended)
        this.content.toolParameters = safeStringify(t.parameters, { maxLength: 8192 });
      if (t.arguments !== undefined) {
        this.content.toolArguments = this.keep(t.arguments) ?? this.content.toolArguments;
        this.putContent(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, t.arguments);
      }
      if (t.result !== undefined) {
        this.content.toolResult = this.keep(t.result) ?? this.content.toolResult;
        this.putContent(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, t.result);
      }
    });
    return this;
  }

  /**
   * Retrieval results: the document count always; `[{id, score}]` always (ids and scores are
   * not content); document text and the query only when content capture is on.
   */
  setRetrieval(r: RetrievalDetails): this {
    safely('setRetrieval', () => {
      this.setAttribute(sc.ATTR_GEN_AI_DATA_SOURCE_ID, nonEmpty(r.dataSourceId));
      this.recordQueryAndDocuments(r.query, r.documents, true);
    });
    return this;
  }

  private recordQueryAndDocuments(
    query: string | undefined,
    documents: RetrievedDocument[] | undefined,
    collect: boolean,
  ): void {
    if (this.ended) return;
    if (query !== undefined) {
      if (collect) this.content.retrievalQuery = this.keep(query) ?? this.content.retrievalQuery;
      this.putContent(sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT, query);
    }
    if (!Array.isArray(documents)) return;
    if (collect) this.setAttribute(sc.ATTR_GENAI_OTEL_RETRIEVAL_DOCUMENT_COUNT, documents.length);
    const listed = documents.slice(0, MAX_DOCUMENTS);
    const kept = this.keepDocuments(listed);
    if (collect) this.content.documents = kept;
    else this.content.rerankerOutputDocuments = kept;
    let text: string | undefined;
    if (this.policy.onSpan) {
      const docs = listed.map((d) => documentSummary(d, true));
      if (!docs.some((d) => Object.keys(d).length > 0)) return;
      text = this.policy.render(sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS, docs);
    } else {
      // Every retrieval span pays for this, content or not: built by hand, no objects.
      const json = documentSummariesJson(listed);
      if (json === undefined) return;
      text = truncate(json, this.policy.maxLength);
    }
    this.setAttribute(sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS, text);
  }

  /** Generic input/output of chain/agent spans (content; recorded only when capture is on). */
  setInput(value: unknown): this {
    this.content.input = this.keep(value) ?? this.content.input;
    return this.putContent(sc.ATTR_GENAI_OTEL_INPUT, value);
  }

  setOutput(value: unknown): this {
    this.content.output = this.keep(value) ?? this.content.output;
    return this.putContent(sc.ATTR_GENAI_OTEL_OUTPUT, value);
  }

  /** Status ERROR, `error.type`, and the exception event. `errorType` defaults to the class name. */
  recordError(error: unknown, errorType?: string): this {
    if (this.ended) return this;
    safely('recordError', () => {
      this.errorType = nonEmpty(errorType, 256) ?? classifyError(error);
      this.setAttribute(sc.ATTR_ERROR_TYPE, this.errorType);
      const message = errorMessage(error);
      this.span.recordException(exceptionFor(error, exceptionType(error, this.errorType), message));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 1024) });
    });
    return this;
  }

  /**
   * What the operation threw: a cancellation (see {@link isCancellation}) is marked
   * `genai_otel.cancelled` with no error status; anything else is recorded as an error
   * ({@link recordError}). Instrumentations call this for an operation that ended by an
   * exception, so an abort is never counted as a failure.
   */
  recordThrown(error: unknown, errorType?: string): this {
    if (this.ended) return this;
    if (isCancellation(error)) this.setAttribute(sc.ATTR_GENAI_OTEL_CANCELLED, true);
    else this.recordError(error, errorType);
    return this;
  }

  /**
   * Ends the span as cancelled by the application (`genai_otel.cancelled=true`, no error
   * status): see {@link isCancellation}.
   */
  cancel(endTime?: number | Date): void {
    if (this.ended) return;
    this.setAttribute(sc.ATTR_GENAI_OTEL_CANCELLED, true);
    this.end(endTime);
  }

  /** Ends the span exactly once: usage (unless recorded below us), metrics, OpenInference. */
  end(endTime?: number | Date): void {
    if (this.ended) return;
    this.ended = true;
    let endMs = toMillis(endTime) ?? Date.now();
    if (endTime !== undefined && endMs > performance.now()) {
      // An explicit end (an abandoned call's last activity, a whole-millisecond `Date.now()`)
      // can fall just before the SDK's sub-millisecond start: never end before the start.
      // (A number below `performance.now()` the SDK reads as time since the process started,
      // not as epoch time, like its start: the two cannot be compared, and are left alone.)
      const startMs = sdkStartMs(this.span);
      if (startMs !== undefined && endMs < startMs) endMs = startMs;
    }
    try {
      this.finish(endMs);
    } catch (err) {
      logSwallowed('end', err);
    }
    try {
      this.span.end(endTime === undefined ? undefined : endMs);
    } catch (err) {
      logSwallowed('span.end', err);
    }
  }

  private finish(endMs: number): void {
    if (!this.recording) return;
    const isModelCall = this.kind === 'LLM' || this.kind === 'EMBEDDING';
    const slot = this.usageSlot;
    const usageBelow = slot?.claimed === true;
    const callBelow = slot?.callRecorded === true;
    const m = isModelCall ? this.metricAttributes() : undefined;
    let metrics: GenAIMetrics | undefined;
    if (isModelCall) {
      try {
        metrics = this.telemetry.metrics;
      } catch (err) {
        logSwallowed('metrics', err);
      }
    }
    if (usageBelow) {
      this.write(sc.ATTR_GENAI_OTEL_USAGE_RECORDED_BY_CHILD, true);
    } else if (this.usage) {
      const u = this.usage;
      this.write(sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS, count(u.inputTokens));
      this.write(sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, count(u.outputTokens));
      this.write(sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, count(u.cacheReadInputTokens));
      this.write(
        sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        count(u.cacheCreationInputTokens),
      );
      this.write(sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, count(u.reasoningOutputTokens));
      // This call's tokens are recorded here: ancestors must not record them again.
      claimAncestors(slot);
      if (metrics && m) {
        try {
          metrics.recordTokens(count(u.inputTokens), count(u.outputTokens), m);
        } catch (err) {
          logSwallowed('token metric', err);
        }
      }
    }
    if (metrics && m && !callBelow) {
      markCallRecordedOnAncestors(slot);
      try {
        metrics.recordDuration(Math.max(0, endMs - this.startMs) / 1000, m);
        if (this.firstChunkMs !== undefined)
          metrics.recordTimeToFirstChunk(Math.max(0, this.firstChunkMs - this.startMs) / 1000, m);
      } catch (err) {
        logSwallowed('duration metric', err);
      }
    }
    if (!this.spanRecording) return; // metrics above still count sampled-out calls
    if (this.policy.onEvent) safely('content event', () => this.emitContentEvent(endMs));
    if (this.openInference && this.attrs) {
      const attrs = this.attrs;
      safely('openinference', () =>
        this.span.setAttributes(toOpenInference(this.kind, attrs, this.content, this.policy)),
      );
    }
  }

  private metricAttributes(): GenAIMetricAttributes {
    return {
      operation: this.operation ?? 'chat',
      provider: this.provider,
      requestModel: this.requestModel,
      responseModel: this.responseModel,
      errorType: this.errorType,
    };
  }

  /**
   * EVENT_ONLY / SPAN_AND_EVENT: content on a `gen_ai.client.inference.operation.details`
   * event, together with the operation's identifying attributes. Every value passes the
   * redact hook and the length limit.
   *
   * The event is a log record, as the conventions define events, when a LoggerProvider is
   * configured: it carries this span's trace and span ids, and structured values (messages as
   * arrays of objects). Without one it is a span event with JSON strings, as span attributes
   * must be, so that content the user asked for is not silently lost.
   */
  private emitContentEvent(endMs: number): void {
    const logger = this.telemetry.contentLogger();
    const event: Record<string, unknown> = {};
    const put = (key: string, value: unknown) => {
      if (value === undefined) return;
      const text = this.policy.render(key, value);
      if (text === undefined) return;
      event[key] = logger && typeof value !== 'string' ? structured(text) : text;
    };
    const c = this.content;
    put(sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, c.systemInstructions);
    put(sc.ATTR_GEN_AI_INPUT_MESSAGES, c.inputMessages);
    put(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, c.outputMessages);
    put(sc.ATTR_GEN_AI_TOOL_DEFINITIONS, c.toolDefinitions);
    put(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, c.toolArguments);
    put(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, c.toolResult);
    put(sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT, c.retrievalQuery ?? c.rerankerQuery);
    const docs = c.documents ?? c.rerankerOutputDocuments;
    if (docs)
      put(
        sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
        docs.map((d) => documentSummary(d, true)),
      );
    put(sc.ATTR_GENAI_OTEL_INPUT, c.input ?? c.embeddingInputs);
    put(sc.ATTR_GENAI_OTEL_OUTPUT, c.output);
    if (Object.keys(event).length === 0) return;
    for (const key of EVENT_CONTEXT_ATTRIBUTES) {
      const v = this.attrs?.[key];
      if (v !== undefined) event[key] = v;
    }
    if (logger) {
      logger.emit({
        eventName: sc.EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
        timestamp: endMs,
        context: this.context,
        attributes: event as LogAttributes,
      });
      return;
    }
    this.span.addEvent(sc.EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS, event as Attributes);
  }

  /**
   * A bounded, plain snapshot of content needed again at end (OpenInference attributes, the
   * content event), or undefined when it will not be needed. Snapshotting means later
   * mutation by the application does not change what we record, and we hold no references to
   * large or hostile user objects.
   */
  private keep<T>(value: T): T | undefined {
    if (this.ended || !this.policy.enabled || value === undefined || !this.spanRecording)
      return undefined;
    if (!this.policy.onEvent && !(this.openInference && this.policy.onSpan)) return undefined;
    const max = this.policy.maxLength;
    return toPlain(value, 10, 200, new WeakSet(), { chars: max * 4 }, max * 2) as T;
  }

  /** Documents for OpenInference / the event: ids and scores always, content only if kept. */
  private keepDocuments(docs: RetrievedDocument[]): RetrievedDocument[] | undefined {
    if (!this.openInference && !this.policy.onEvent) return undefined;
    const summaries = docs.map((d) => documentSummary(d, false));
    const full = this.keep(docs);
    if (!Array.isArray(full)) return summaries;
    return summaries.map((s, i) => {
      const d = full[i] as RetrievedDocument | undefined;
      if (!d || typeof d !== 'object') return s;
      return { ...s, content: d.content, metadata: d.metadata };
    });
  }

  private putContent(attribute: string, value: unknown): this {
    // A sampled-out span drops attributes anyway: skip serialising content for it.
    if (this.ended || !this.policy.onSpan || value === undefined || !this.spanRecording)
      return this;
    const text = this.policy.render(attribute, value);
    if (text !== undefined) this.setAttribute(attribute, text);
    return this;
  }
}

/** Error classes that mean the application cancelled the call, not that it failed. */
const CANCELLATION_ERRORS = new Set([
  'AbortError', // DOMException from an aborted signal, and libraries that mimic it
  'APIUserAbortError', // the Anthropic and OpenAI SDKs
  'ModelAbortError', // LangChain 1.x
]);

/**
 * Whether an error means the application cancelled the operation (it aborted the call's
 * signal), by the error's `name` or class name, so every copy and version of a library is
 * recognised. Such an operation ends with {@link GenAISpan.cancel}, not as an error.
 */
export function isCancellation(error: unknown): boolean {
  try {
    if (!error || typeof error !== 'object') return false;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && CANCELLATION_ERRORS.has(name)) return true;
    const ctor = (error as object).constructor?.name;
    return typeof ctor === 'string' && CANCELLATION_ERRORS.has(ctor);
  } catch {
    return false;
  }
}

/** `error.type` for an exception: an API error code/type when present, else the class name. */
export function classifyError(error: unknown): string {
  try {
    if (error && typeof error === 'object') {
      const e = error as Record<string, unknown>;
      const nested = e.error as Record<string, unknown> | undefined;
      const apiType =
        nested && typeof nested === 'object'
          ? ((nested.error as Record<string, unknown> | undefined)?.type ?? nested.type)
          : undefined;
      if (typeof apiType === 'string' && apiType) return apiType;
      if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
      const ctor = (error as object).constructor?.name;
      if (ctor && ctor !== 'Object') return ctor;
    }
  } catch {
    // fall through
  }
  return sc.ERROR_TYPE_OTHER;
}

function exceptionFor(
  error: unknown,
  type: string,
  message: string,
): { name: string; message: string; stack?: string } {
  let stack: string | undefined;
  try {
    stack =
      error instanceof Error && typeof error.stack === 'string'
        ? error.stack.slice(0, 8192)
        : undefined;
  } catch {
    stack = undefined;
  }
  return { name: type, message: message.slice(0, 4096), stack };
}

function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (typeof error === 'string') return error;
    return String(error);
  } catch {
    return 'unknown error';
  }
}

/**
 * Rendered structured content back as a value (log records take structured values): the
 * rendering stays valid JSON when it is cut, but a redact hook may return anything.
 */
function structured(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toMillis(t: number | Date | undefined): number | undefined {
  if (t instanceof Date) return t.getTime();
  return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
}

function nonEmpty(v: unknown, max = 512): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined;
}

/** Adds `gen_ai.request.*` and `server.*` attributes for request details (invalid values skipped). */
function writeRequestAttributes(out: Attributes, r: RequestDetails): Attributes {
  const put = (key: string, value: AttributeValue | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  put(sc.ATTR_GEN_AI_REQUEST_MODEL, nonEmpty(r.model));
  put(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, num(r.temperature));
  put(sc.ATTR_GEN_AI_REQUEST_TOP_P, num(r.topP));
  put(sc.ATTR_GEN_AI_REQUEST_TOP_K, num(r.topK));
  put(sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS, num(r.maxTokens));
  if (Array.isArray(r.stopSequences) && r.stopSequences.length > 0)
    put(
      sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
      r.stopSequences.slice(0, 32).map((s) => String(s).slice(0, 256)),
    );
  put(sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, num(r.frequencyPenalty));
  put(sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, num(r.presencePenalty));
  put(sc.ATTR_GEN_AI_REQUEST_SEED, num(r.seed));
  const choices = num(r.choiceCount);
  if (choices !== undefined && choices !== 1) put(sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT, choices);
  if (typeof r.stream === 'boolean') put(sc.ATTR_GEN_AI_REQUEST_STREAM, r.stream);
  put(sc.ATTR_SERVER_ADDRESS, nonEmpty(r.serverAddress));
  put(sc.ATTR_SERVER_PORT, num(r.serverPort));
  put(sc.ATTR_GEN_AI_OUTPUT_TYPE, nonEmpty(r.outputType));
  return out;
}

/** The attribute a span's `name` also goes into, per kind (none for plain chains). */
function nameAttributeKey(
  kind: sc.GenAISpanKind,
  operation: string | undefined,
): string | undefined {
  switch (kind) {
    case 'LLM':
    case 'EMBEDDING':
      return sc.ATTR_GEN_AI_REQUEST_MODEL;
    case 'TOOL':
      return sc.ATTR_GEN_AI_TOOL_NAME;
    case 'AGENT':
      return sc.ATTR_GEN_AI_AGENT_NAME;
    case 'CHAIN':
      return operation === sc.GEN_AI_OPERATION.INVOKE_WORKFLOW
        ? sc.ATTR_GEN_AI_WORKFLOW_NAME
        : undefined;
    default:
      return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Identifying attributes copied onto the content event so it stands on its own. */
const EVENT_CONTEXT_ATTRIBUTES = [
  sc.ATTR_GEN_AI_OPERATION_NAME,
  sc.ATTR_GEN_AI_PROVIDER_NAME,
  sc.ATTR_GEN_AI_REQUEST_MODEL,
  sc.ATTR_GEN_AI_RESPONSE_MODEL,
  sc.ATTR_GEN_AI_RESPONSE_ID,
  sc.ATTR_GEN_AI_TOOL_NAME,
  sc.ATTR_GEN_AI_TOOL_CALL_ID,
  sc.ATTR_GEN_AI_AGENT_NAME,
  sc.ATTR_GEN_AI_DATA_SOURCE_ID,
  sc.ATTR_GEN_AI_CONVERSATION_ID,
];

/** `{id, score}` of a document, plus its content when `withContent`. Never throws. */
/**
 * `[{"id":..,"score":..},...]` for documents without content: the same JSON that
 * `JSON.stringify(docs.map((d) => documentSummary(d, false)))` gives, without building the
 * objects. Undefined when no document has an id or a score.
 */
function documentSummariesJson(docs: readonly RetrievedDocument[]): string | undefined {
  let out = '[';
  let any = false;
  for (let i = 0; i < docs.length; i++) {
    let entry = '';
    try {
      const d = docs[i];
      if (d !== null && typeof d === 'object') {
        const id = d.id as unknown;
        if (typeof id === 'string' || typeof id === 'number')
          entry = `"id":${JSON.stringify(String(id).slice(0, 256))}`;
        const score = d.score;
        if (typeof score === 'number' && Number.isFinite(score))
          entry += `${entry ? ',' : ''}"score":${JSON.stringify(score)}`;
      }
    } catch {
      // a hostile document: record what we have
    }
    if (entry) any = true;
    out += `${i > 0 ? ',' : ''}{${entry}}`;
  }
  return any ? `${out}]` : undefined;
}

function documentSummary(d: RetrievedDocument, withContent: boolean): RetrievedDocument {
  const out: RetrievedDocument = {};
  try {
    if (d === null || typeof d !== 'object') return out;
    const id = (d as RetrievedDocument).id as unknown;
    if (typeof id === 'string' || typeof id === 'number') out.id = String(id).slice(0, 256);
    if (typeof d.score === 'number' && Number.isFinite(d.score)) out.score = d.score;
    if (withContent && d.content !== undefined) out.content = d.content;
  } catch {
    // a hostile document: record what we have
  }
  return out;
}

/** `exception.type`: the exception's class/name (while `error.type` may be an API code). */
function exceptionType(error: unknown, fallback: string): string {
  try {
    if (error instanceof Error) {
      if (typeof error.name === 'string' && error.name && error.name !== 'Error') return error.name;
      const ctor = error.constructor?.name;
      if (typeof ctor === 'string' && ctor) return ctor;
    }
  } catch {
    // fall through
  }
  return fallback;
}

/** The SDK span's start in epoch milliseconds, when the span exposes it (SDK spans do). */
function sdkStartMs(span: Span): number | undefined {
  const start = (span as unknown as { startTime?: unknown }).startTime;
  return Array.isArray(start) && typeof start[0] === 'number' && typeof start[1] === 'number'
    ? start[0] * 1e3 + start[1] / 1e6
    : undefined;
}
