import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type GenAIInstrumentationConfig, resolveSemconv } from './config.js';
import { ContentPolicy } from './content.js';
import { getGenAIContextAttributes } from './context-attributes.js';
import { logSwallowed, safely } from './guard.js';
import type { InputMessage, OutputMessage, RetrievedDocument, ToolDefinition } from './messages.js';
import { type GenAIMetricAttributes, GenAIMetrics } from './metrics.js';
import { type CollectedContent, toOpenInference } from './openinference.js';
import * as sc from './semconv.js';
import { claimAncestors, openUsageSlot, type UsageSlot } from './usage.js';

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
  startTime?: number | Date;
  spanKind?: SpanKind;
  attributes?: Attributes;
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
}

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
  if (kind === 'CHAIN' || kind === 'RERANKER' || !operation)
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

  constructor(
    private readonly getTracer: () => Tracer,
    private readonly getMeter: () => Meter,
    private readonly getConfig: () => GenAIInstrumentationConfig,
    readonly framework: string,
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
  private readonly attrs: Attributes;
  private readonly content: CollectedContent = {};
  private readonly usageSlot: UsageSlot | undefined;
  private usage: TokenUsage | undefined;
  private firstChunkMs: number | undefined;
  private errorType: string | undefined;
  private ended = false;

  constructor(
    private readonly telemetry: GenAITelemetry,
    options: StartSpanOptions,
    config: GenAIInstrumentationConfig,
    noopSpan?: Span,
  ) {
    this.kind = options.kind;
    this.operation = options.operation ?? DEFAULT_OPERATION[options.kind];
    this.policy = new ContentPolicy(config);
    this.openInference = resolveSemconv(config).openInference;
    const parent = options.parentContext ?? context.active();
    const startAttrs: Attributes = {
      [sc.ATTR_GENAI_OTEL_SPAN_KIND]: options.kind,
      ...(this.operation ? { [sc.ATTR_GEN_AI_OPERATION_NAME]: this.operation } : {}),
      ...(options.provider ? { [sc.ATTR_GEN_AI_PROVIDER_NAME]: options.provider } : {}),
      ...(options.kind === 'LLM' || options.kind === 'EMBEDDING'
        ? options.name
          ? { [sc.ATTR_GEN_AI_REQUEST_MODEL]: options.name }
          : {}
        : {}),
      ...getGenAIContextAttributes(parent),
      ...options.attributes,
    };
    this.attrs = { ...startAttrs };
    const spanName = options.spanName ?? genAISpanName(options.kind, this.operation, options.name);
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
    let ctx = trace.setSpan(parent, this.span);
    if (options.kind === 'LLM' || options.kind === 'EMBEDDING') {
      const opened = openUsageSlot(ctx);
      this.usageSlot = opened.slot;
      ctx = opened.context;
    }
    this.context = ctx;
  }

  static noop(telemetry: GenAITelemetry, options: StartSpanOptions): GenAISpan {
    return new GenAISpan(
      telemetry,
      options,
      {},
      trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
    );
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
    safely('setAttribute', () => {
      this.attrs[key] = value;
      this.span.setAttribute(key, value);
    });
  }

  setAttributes(attrs: Attributes): this {
    for (const [k, v] of Object.entries(attrs)) this.setAttribute(k, v);
    return this;
  }

  setProvider(provider: string | undefined): this {
    return this.setAttribute(sc.ATTR_GEN_AI_PROVIDER_NAME, provider);
  }

  setRequest(r: RequestDetails): this {
    safely('setRequest', () => {
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_MODEL, nonEmpty(r.model));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, num(r.temperature));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_TOP_P, num(r.topP));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_TOP_K, num(r.topK));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS, num(r.maxTokens));
      if (Array.isArray(r.stopSequences) && r.stopSequences.length > 0) {
        this.setAttribute(
          sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
          r.stopSequences.slice(0, 32).map((s) => String(s).slice(0, 256)),
        );
      }
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, num(r.frequencyPenalty));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, num(r.presencePenalty));
      this.setAttribute(sc.ATTR_GEN_AI_REQUEST_SEED, num(r.seed));
      if (num(r.choiceCount) !== undefined && r.choiceCount !== 1)
        this.setAttribute(sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT, r.choiceCount);
      if (typeof r.stream === 'boolean') this.setAttribute(sc.ATTR_GEN_AI_REQUEST_STREAM, r.stream);
      this.setAttribute(sc.ATTR_SERVER_ADDRESS, nonEmpty(r.serverAddress));
      this.setAttribute(sc.ATTR_SERVER_PORT, num(r.serverPort));
    });
    return this;
  }

  setResponse(r: ResponseDetails): this {
    safely('setResponse', () => {
      this.setAttribute(sc.ATTR_GEN_AI_RESPONSE_ID, nonEmpty(r.id));
      this.setAttribute(sc.ATTR_GEN_AI_RESPONSE_MODEL, nonEmpty(r.model));
      if (Array.isArray(r.finishReasons) && r.finishReasons.length > 0) {
        this.setAttribute(sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, r.finishReasons.map(String));
      }
    });
    return this;
  }

  /** Usage is written at {@link end}, after the de-duplication check. Later calls merge. */
  setUsage(u: TokenUsage): this {
    if (!this.ended) this.usage = { ...this.usage, ...stripUndefined(u) };
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

  setSystemInstructions(parts: unknown): this {
    return this.putContent(sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, parts);
  }

  setInputMessages(messages: InputMessage[]): this {
    if (this.policy.enabled) this.content.inputMessages = messages;
    return this.putContent(sc.ATTR_GEN_AI_INPUT_MESSAGES, messages);
  }

  setOutputMessages(messages: OutputMessage[]): this {
    if (this.policy.enabled) this.content.outputMessages = messages;
    return this.putContent(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, messages);
  }

  setToolDefinitions(tools: ToolDefinition[]): this {
    return this.putContent(sc.ATTR_GEN_AI_TOOL_DEFINITIONS, tools);
  }

  setTool(t: ToolCallDetails): this {
    safely('setTool', () => {
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_NAME, nonEmpty(t.name));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ID, nonEmpty(t.callId));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_TYPE, nonEmpty(t.type));
      this.setAttribute(sc.ATTR_GEN_AI_TOOL_DESCRIPTION, nonEmpty(t.description)?.slice(0, 1024));
      if (t.arguments !== undefined) {
        if (this.policy.enabled) this.content.toolArguments = t.arguments;
        this.putContent(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, t.arguments);
      }
      if (t.result !== undefined) {
        if (this.policy.enabled) this.content.toolResult = t.result;
        this.putContent(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, t.result);
      }
    });
    return this;
  }

  /**
   * Retrieval results: the document count always; `[{id, score}]` always (ids and scores are
   * not content); document text only when content capture is on.
   */
  setRetrieval(r: {
    query?: string;
    documents?: RetrievedDocument[];
    dataSourceId?: string;
  }): this {
    safely('setRetrieval', () => {
      this.setAttribute(sc.ATTR_GEN_AI_DATA_SOURCE_ID, nonEmpty(r.dataSourceId));
      if (r.query !== undefined) {
        if (this.policy.enabled) this.content.retrievalQuery = r.query;
        this.putContent(sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT, r.query);
      }
      if (Array.isArray(r.documents)) {
        this.setAttribute(sc.ATTR_GENAI_OTEL_RETRIEVAL_DOCUMENT_COUNT, r.documents.length);
        const withContent = this.policy.onSpan;
        const docs = r.documents.slice(0, 100).map((d) => {
          const out: RetrievedDocument = {};
          if (d.id !== undefined) out.id = String(d.id);
          if (typeof d.score === 'number') out.score = d.score;
          if (withContent && d.content !== undefined) out.content = d.content;
          return out;
        });
        if (this.policy.enabled) this.content.documents = r.documents.slice(0, 100);
        if (docs.some((d) => Object.keys(d).length > 0)) {
          const text = withContent
            ? this.policy.render(sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS, docs)
            : JSON.stringify(docs).slice(0, this.policy.maxLength);
          this.setAttribute(sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS, text);
        }
      }
    });
    return this;
  }

  /** Generic input/output of chain/agent spans (content; recorded only when capture is on). */
  setInput(value: unknown): this {
    if (this.policy.enabled) this.content.input = value;
    return this.putContent('genai_otel.input', value);
  }

  setOutput(value: unknown): this {
    if (this.policy.enabled) this.content.output = value;
    return this.putContent('genai_otel.output', value);
  }

  /** Status ERROR, `error.type`, and the exception event. `errorType` defaults to the class name. */
  recordError(error: unknown, errorType?: string): this {
    if (this.ended) return this;
    safely('recordError', () => {
      this.errorType = errorType || classifyError(error);
      this.setAttribute(sc.ATTR_ERROR_TYPE, this.errorType);
      const message = errorMessage(error);
      this.span.recordException(exceptionFor(error, this.errorType, message));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 1024) });
    });
    return this;
  }

  /** Ends the span exactly once: usage (unless recorded below us), metrics, OpenInference. */
  end(endTime?: number | Date): void {
    if (this.ended) return;
    this.ended = true;
    const endMs = toMillis(endTime) ?? Date.now();
    safely('end', () => this.finish(endMs));
    safely('span.end', () => this.span.end(endTime));
  }

  private finish(endMs: number): void {
    const isModelCall = this.kind === 'LLM' || this.kind === 'EMBEDDING';
    const recordedBelow = this.usageSlot?.claimed === true;
    if (recordedBelow) {
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
    }
    if (isModelCall && !recordedBelow) {
      // This call's metrics are recorded here: ancestors must not record them again.
      claimAncestors(this.usageSlot);
      const m = this.metricAttributes();
      const metrics = this.telemetry.metrics;
      metrics.recordDuration(Math.max(0, endMs - this.startMs) / 1000, m);
      if (this.usage)
        metrics.recordTokens(count(this.usage.inputTokens), count(this.usage.outputTokens), m);
      if (this.firstChunkMs !== undefined) {
        metrics.recordTimeToFirstChunk(Math.max(0, this.firstChunkMs - this.startMs) / 1000, m);
      }
    }
    if (this.policy.onEvent) this.emitContentEvent();
    if (this.openInference)
      this.span.setAttributes(toOpenInference(this.kind, this.attrs, this.content, this.policy));
  }

  private metricAttributes(): GenAIMetricAttributes {
    const str = (k: string) =>
      typeof this.attrs[k] === 'string' ? (this.attrs[k] as string) : undefined;
    return {
      operation: this.operation ?? 'chat',
      provider: str(sc.ATTR_GEN_AI_PROVIDER_NAME),
      requestModel: str(sc.ATTR_GEN_AI_REQUEST_MODEL),
      responseModel: str(sc.ATTR_GEN_AI_RESPONSE_MODEL),
      errorType: this.errorType,
    };
  }

  /** EVENT_ONLY / SPAN_AND_EVENT: content on a `gen_ai.client.inference.operation.details` event. */
  private emitContentEvent(): void {
    const event: Attributes = {};
    const put = (key: string, value: unknown) => {
      if (value === undefined) return;
      const text = this.policy.render(key, value);
      if (text !== undefined) event[key] = text;
    };
    put(sc.ATTR_GEN_AI_INPUT_MESSAGES, this.content.inputMessages);
    put(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, this.content.outputMessages);
    put(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, this.content.toolArguments);
    put(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, this.content.toolResult);
    put(sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT, this.content.retrievalQuery);
    put(sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS, this.content.documents);
    put('genai_otel.input', this.content.input);
    put('genai_otel.output', this.content.output);
    if (Object.keys(event).length > 0)
      this.span.addEvent('gen_ai.client.inference.operation.details', event);
  }

  private putContent(attribute: string, value: unknown): this {
    if (this.ended || !this.policy.onSpan || value === undefined) return this;
    const text = this.policy.render(attribute, value);
    if (text !== undefined) this.setAttribute(attribute, text);
    return this;
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

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 512) : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) (out as any)[k] = v;
  return out;
}
