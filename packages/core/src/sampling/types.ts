import type {
  Attributes,
  Context,
  HrTime,
  Link,
  MeterProvider,
  SpanContext,
  SpanKind,
  SpanStatus,
} from '@opentelemetry/api';

/**
 * The parts of an SDK `ReadableSpan` we read. Declared structurally so the processor works
 * with `@opentelemetry/sdk-trace-base` 2.x and `@opentelemetry/sdk-trace` 3.x without
 * importing either at runtime.
 */
export interface ReadableSpanLike {
  readonly name: string;
  readonly kind: SpanKind;
  spanContext(): SpanContext;
  /** SDK 2.x/3.x. */
  readonly parentSpanContext?: SpanContext;
  /** SDK 1.x. */
  readonly parentSpanId?: string;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: unknown[];
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: unknown;
  readonly instrumentationScope?: unknown;
  readonly droppedAttributesCount?: number;
  readonly droppedEventsCount?: number;
  readonly droppedLinksCount?: number;
}

/** The SpanProcessor contract shared by both SDK lines (structural). */
export interface SpanProcessorLike {
  onStart(span: any, parentContext: Context): void;
  onEnding?(span: any): void;
  onEnd(span: any): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Why a trace was kept. */
export type SamplingReason = 'error' | 'slow' | 'baseline' | 'overflow';

/** Why a decision was taken before the trace was known to be complete. */
export type ForcedDecisionCause =
  | 'max_buffered_traces'
  | 'max_buffered_spans'
  | 'max_spans_per_trace'
  | 'max_trace_duration'
  | 'max_buffered_log_records'
  | 'flush';

/** A monotonic millisecond clock (injectable for deterministic tests). */
export interface SamplingClock {
  now(): number;
}

export interface AdaptiveSamplingOptions {
  /** Where kept spans go, typically a `BatchSpanProcessor` with your exporter. */
  next: SpanProcessorLike;
  /** Kept baseline (fast, successful) traces per second to aim for. Default 1. */
  targetTracesPerSecond?: number;
  /** Lower bound of the baseline probability. Default 0.01. */
  minRate?: number;
  /** Upper bound of the baseline probability. Default 0.05. */
  maxRate?: number;
  /** Latency quantile above which a trace counts as slow. Default 0.99. */
  latencyQuantile?: number;
  /** Slow threshold (ms) used until a key has `latencyMinSamples` samples. Default 10000. */
  slowThresholdMs?: number;
  /** Samples a key needs before its running quantile is trusted. Default 1000. */
  latencyMinSamples?: number;
  /** Sliding window of the latency sketches, ms. Default 300000 (5 min, 10 slots). */
  latencyWindowMs?: number;
  /** Most distinct latency keys; further keys share one sketch. Default 200. */
  maxKeys?: number;
  /** Grace period after the local root span ends before deciding, ms. Default 1000. */
  decisionWaitMs?: number;
  /** A trace still open after this long is decided on what it has (marked incomplete). Default 300000. */
  maxTraceDurationMs?: number;
  /** Most traces buffered at once; beyond it the oldest are decided early. Default 10000. */
  maxBufferedTraces?: number;
  /** Most spans buffered for one trace; reaching it decides the trace early. Default 1000. */
  maxSpansPerTrace?: number;
  /** Most spans buffered in total; beyond it the oldest traces are decided early. Default 100000. */
  maxBufferedSpans?: number;
  /**
   * Most log records held, in total, for traces awaiting their decision (see
   * {@link AdaptiveSamplingSpanProcessor.logRecordProcessor}); beyond it the oldest traces are
   * decided early. Default 10000.
   */
  maxBufferedLogRecords?: number;
  /** Decided trace ids remembered so that late spans follow the decision. Default 20000. */
  decisionCacheSize?: number;
  /** Baseline rate adaptation interval, ms. Default 10000. */
  adaptationIntervalMs?: number;
  /**
   * `sample` (default): drop what the policy does not keep. `annotate`: keep every span and
   * mark each local root with the decision and the slow/error flags, for a Collector's
   * `tail_sampling` to make the final call.
   */
  mode?: 'sample' | 'annotate';
  /** Whether a span counts as an error. Default: status ERROR or an `error.type` attribute. */
  isError?: (span: ReadableSpanLike) => boolean;
  /** Latency key of a local root. Default: `name|gen_ai.operation.name|gen_ai.request.model`. */
  keyOf?: (rootSpan: ReadableSpanLike) => string;
  /** Meter provider for the `genai_otel.sampling.*` metrics. Default: the global one. */
  meterProvider?: MeterProvider;
  /** Clock for buffering and adaptation (ms). Default: `performance.now()`. */
  clock?: SamplingClock;
  /** Uniform [0,1) source, used only for trace ids that carry no randomness. Default: Math.random. */
  random?: () => number;
  /**
   * Period of the background sweep that takes due decisions, ms (the timer is unref'd).
   * `0` disables the timer: decisions are then taken when spans end and on flush (tests).
   * Default: `decisionWaitMs / 2`, between 50 and 1000.
   */
  sweepIntervalMs?: number;
}

/** Counters kept by the processor (also exported as `genai_otel.sampling.*` metrics). */
export interface AdaptiveSamplingStats {
  tracesKept: Record<SamplingReason, number>;
  tracesDropped: number;
  spansKept: number;
  spansDropped: number;
  lateSpansKept: number;
  lateSpansDropped: number;
  forcedDecisions: Record<ForcedDecisionCause, number>;
  bufferedTraces: number;
  bufferedSpans: number;
  /** Log records forwarded or dropped with their trace (see `logRecordProcessor`). */
  logRecordsKept: number;
  logRecordsDropped: number;
  bufferedLogRecords: number;
  baselineRate: number;
  latencyKeys: number;
}

/**
 * The LogRecordProcessor contract shared by `@opentelemetry/sdk-logs` 0.2xx and 3.x
 * (structural, so core never loads the logs SDK).
 */
export interface LogRecordProcessorLike {
  onEmit(logRecord: any, context?: Context): void;
  enabled?(options: any): boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Options of {@link AdaptiveSamplingSpanProcessor.logRecordProcessor}. */
export interface TraceSampledLogsOptions {
  /**
   * Which log records follow their trace's decision. Others (and records outside any trace
   * the sampler buffers) pass straight through. Default: events named `gen_ai.*`, the GenAI
   * content events (`gen_ai.client.inference.operation.details` and the like).
   */
  match?: (logRecord: any) => boolean;
}
