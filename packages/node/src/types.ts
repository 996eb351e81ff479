import type { ContentCaptureMode, SemconvVocabulary } from '@genai-otel/core';
import type { AnthropicInstrumentationConfig } from '@genai-otel/instrumentation-anthropic';
import type { LangChainInstrumentationConfig } from '@genai-otel/instrumentation-langchain';
import type { LlamaIndexInstrumentationConfig } from '@genai-otel/instrumentation-llamaindex';
import type { Attributes, Context, MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { DestinationConfig } from './destinations.js';
import type { HttpInstrumentationSetting } from './http-instrumentations.js';

/**
 * A span exporter as both OpenTelemetry SDK lines (2.x and 3.x) define it. Declared
 * structurally so that exporters from either line (or your own) can be passed in.
 */
export interface SpanExporterLike {
  export(spans: any[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** A span processor as both SDK lines define it. */
export interface SpanProcessorLike {
  onStart(span: Span, parentContext: Context): void;
  onEnd(span: any): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  onEnding?(span: any): void;
}

/** A sampler as both SDK lines define it. */
export interface SamplerLike {
  shouldSample(...args: any[]): { decision: number; attributes?: Attributes; traceState?: unknown };
  toString(): string;
}

export type TraceExporterName = 'console' | 'otlp' | 'none';
export type LogExporterName = 'console' | 'otlp' | 'none';
export type MetricExporterName = 'console' | 'otlp' | 'prometheus' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** OTLP connection settings. Anything left out falls back to the standard `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpOptions {
  /**
   * Base endpoint, e.g. `http://localhost:4318` (HTTP) or `http://localhost:4317` (gRPC).
   * `/v1/traces` and `/v1/metrics` are appended for HTTP. Default: `OTEL_EXPORTER_OTLP_ENDPOINT`,
   * else the protocol's localhost default.
   */
  endpoint?: string;
  /** Full traces URL (no path appended). Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
  tracesEndpoint?: string;
  /** Full logs URL (no path appended). Default: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`. */
  logsEndpoint?: string;
  /** Full metrics URL (no path appended). Default: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`. */
  metricsEndpoint?: string;
  /** Default: `OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)PROTOCOL`, else `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** Extra headers (e.g. vendor API keys). Merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Per-export timeout, retries included (default 10 s). */
  timeoutMillis?: number;
  compression?: 'gzip' | 'none';
}

export interface TraceExporterConfig {
  type: TraceExporterName;
  /** Overrides of the shared `otlp` options for this exporter. */
  otlp?: OtlpOptions;
  /** Overrides of the shared `console` options for this exporter. */
  console?: ConsoleTreeOptions;
  /** A name for this destination in export statistics (default: the type). */
  name?: string;
}

export interface LogExporterConfig {
  type: LogExporterName;
  /** Overrides of the shared `otlp` options for this exporter. */
  otlp?: OtlpOptions;
}

export interface MetricExporterConfig {
  type: MetricExporterName;
  otlp?: OtlpOptions;
  prometheus?: PrometheusOptions;
}

export interface PrometheusOptions {
  /** Default: `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464. Use 0 for a random free port. */
  port?: number;
  /** Default: `OTEL_EXPORTER_PROMETHEUS_HOST`, else all interfaces. */
  host?: string;
  /** Default `/metrics`. */
  endpoint?: string;
}

export interface ConsoleTreeOptions {
  /** Where trees are written (default `process.stderr`, so program output stays clean). */
  stream?: { write(chunk: string): unknown; isTTY?: boolean };
  /** ANSI colours (default: when the stream is a TTY and `NO_COLOR` is unset). */
  color?: boolean;
  /** Print the trace id after each root span name (default false). */
  showTraceId?: boolean;
  /** Print these span attributes after the name when present, on every span (default none). */
  attributes?: string[];
  /** Print these attributes on each trace's root line only (e.g. `user.id`, a request id). */
  rootAttributes?: string[];
  /** Traces buffered while waiting for their root span (default 1000; oldest printed early). */
  maxPendingTraces?: number;
  /** Spans kept per trace (default 1000; the rest are counted as "… N more"). */
  maxSpansPerTrace?: number;
  /** Spans held in total while waiting for roots (default 10000; oldest traces printed early). */
  maxPendingSpans?: number;
  /** A trace whose root has not ended after this long is printed as it is (default 5 min). */
  maxTraceWaitMillis?: number;
}

/** Queue bounds of each exporter's pipeline (same meaning as the SDK's BatchSpanProcessor). */
export interface BatchOptions {
  /** Spans queued before new ones are dropped (and counted). Default 2048. */
  maxQueueSize?: number;
  /** Default 512. */
  maxExportBatchSize?: number;
  /** Default 1000 ms (`OTEL_BSP_SCHEDULE_DELAY`). */
  scheduledDelayMillis?: number;
  /** A stuck export is abandoned (and its spans counted as dropped) after this. Default 30 s. */
  exportTimeoutMillis?: number;
}

export interface InstrumentationSelection {
  /** `true`/`false` forces it on/off; a config object turns it on with that config. Default: on when the framework is installed. */
  anthropic?: boolean | AnthropicInstrumentationConfig;
  langchain?: boolean | LangChainInstrumentationConfig;
  llamaindex?: boolean | LlamaIndexInstrumentationConfig;
}

/** Adaptive tail sampling (core's `AdaptiveSamplingSpanProcessor`): keeps errors and slow traces, samples the rest. */
export type AdaptiveSamplingSetting = boolean | Record<string, unknown>;

export interface SetupTelemetryOptions {
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, else the `name` of the app's package.json, else `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name` (and the older `deployment.environment`). Default: `NODE_ENV` is NOT used; set it explicitly. */
  environment?: string;
  /** Extra resource attributes (merged over `OTEL_RESOURCE_ATTRIBUTES`). */
  resourceAttributes?: Attributes;

  /**
   * Where spans go. Names, configs, or exporter instances; several at once.
   * Default: `OTEL_TRACES_EXPORTER`; else `otlp` when an OTLP endpoint variable is set; else `console`.
   */
  traceExporters?: Array<TraceExporterName | TraceExporterConfig | SpanExporterLike>;
  /**
   * Where metrics go. Default: `OTEL_METRICS_EXPORTER`; else `otlp` when an OTLP endpoint
   * variable is set; else none (the console tree already shows tokens and durations).
   * A MetricReader instance may be passed too.
   */
  metricExporters?: Array<MetricExporterName | MetricExporterConfig | object>;
  /**
   * Where log records go: the GenAI content event (`gen_ai.client.inference.operation.details`)
   * in `EVENT_ONLY` / `SPAN_AND_EVENT` capture modes, and anything the application logs through
   * the OpenTelemetry logs API. Default: `OTEL_LOGS_EXPORTER`; else `otlp` when an OTLP
   * endpoint variable is set; else none (the content event then stays a span event). A
   * LogRecordExporter instance may be passed too.
   */
  logExporters?: Array<LogExporterName | LogExporterConfig | object>;
  /**
   * Several backends, each with its own per-trace selection (all, errors only, adaptive,
   * attribute routing) and its own bounded queue; replaces `traceExporters`. Default:
   * `GENAI_OTEL_DESTINATIONS` (JSON) or `GENAI_OTEL_DESTINATION_<N>_*`, else unused.
   * See the README section "Several backends".
   */
  destinations?: DestinationConfig[];
  otlp?: OtlpOptions;
  prometheus?: PrometheusOptions;
  console?: ConsoleTreeOptions;
  batch?: BatchOptions;
  /** Metric export interval for push exporters (default 60 s, `OTEL_METRIC_EXPORT_INTERVAL`). */
  metricExportIntervalMillis?: number;

  /** Head sampler: an SDK sampler or a standard name (`parentbased_traceidratio`, ...). Default: `OTEL_TRACES_SAMPLER`, else parent-based always-on. */
  sampler?: SamplerLike | string;
  /** Ratio for the `*traceidratio` samplers. Default: `OTEL_TRACES_SAMPLER_ARG`, else 1. */
  samplerRatio?: number;
  /** Adaptive tail sampling from core (errors and slow traces always kept). Default: env, else off. */
  adaptiveSampling?: AdaptiveSamplingSetting;
  /**
   * With tail sampling on (adaptive, or `destinations`), GenAI content events exported as log
   * records follow their trace: held until it is decided, exported only if it is kept (by any
   * destination). `false` exports them all at once. Default: `GENAI_OTEL_LOGS_FOLLOW_SAMPLING`,
   * else true.
   */
  logsFollowTraceSampling?: boolean;

  /** Baggage keys copied onto every span. Default: the keys `withGenAIContext` writes (`gen_ai.conversation.id`, `user.id`, `session.id`). */
  baggageKeys?: string[];
  /** Extra span processors, run before export (after the context processor). */
  spanProcessors?: SpanProcessorLike[];

  /** Which GenAI instrumentations to enable and their config. Default: every one whose framework is installed. */
  instrumentations?: InstrumentationSelection;
  /** Other OpenTelemetry instrumentations to register with the same providers. */
  additionalInstrumentations?: Instrumentation[];
  /**
   * HTTP client spans from `@opentelemetry/instrumentation-http` (node:http/https) and
   * `@opentelemetry/instrumentation-undici` (fetch): `false` turns both off, or pick/configure
   * each (`{ http: false }`, `{ undici: { ... } }`). Default on (also switchable with
   * `OTEL_NODE_DISABLED_INSTRUMENTATIONS=http,undici`).
   */
  httpInstrumentation?: HttpInstrumentationSetting;
  /** Applied to every GenAI instrumentation unless its own config says otherwise. Default: the content-capture variable. */
  captureContent?: boolean | ContentCaptureMode;
  semconv?: SemconvVocabulary[];

  /** Register the providers, context manager and propagators globally (default true). */
  registerGlobal?: boolean;
  /**
   * How ES modules are patched (default `auto`, or `GENAI_OTEL_ESM`):
   * - `auto`: through `node --import @genai-otel/node/register`, an ES module app gets the
   *   frameworks its package.json uses imported and patched before it starts ("preload", no
   *   loader hook; `additionalInstrumentations` still get the hook). Set up in code, an ES
   *   module app gets the loader hook (your code may not await `ready`). A CommonJS app needs
   *   neither (the require hooks patch it).
   * - `preload`: preload every installed framework; no hook for them.
   * - `hook`: OpenTelemetry's ESM loader hook (import-in-the-middle), limited to the files our
   *   instrumentations patch. Also patches nested second copies of a framework; costs start-up.
   * - `off`: no ESM patching (use `manuallyInstrument`).
   * Preloading is asynchronous: `await handle.ready` (the register entry does) before the app.
   */
  esm?: EsmPatching;
  /** Older switch: `true` = `esm: 'hook'`, `false` = `esm: 'off'`. */
  esmHook?: boolean;
  /** Flush and shut down on process exit, SIGTERM and SIGINT (default false; the register entry turns it on). */
  shutdownOnExit?: boolean;
  /** Turn everything off (default: `OTEL_SDK_DISABLED`). */
  disabled?: boolean;
}

/** Counts of one exporter's pipeline. */
export interface ExportStats {
  name: string;
  /** Spans handed to the exporter that it accepted. */
  exported: number;
  /** Spans dropped because the queue was full. */
  droppedQueueFull: number;
  /** Spans dropped because the export failed or timed out. */
  droppedExportFailed: number;
  /** Spans waiting right now. */
  queued: number;
  /** Export calls that failed or timed out. */
  failedExports: number;
}

export type EsmPatching = 'auto' | 'preload' | 'hook' | 'off';

/** What the ESM patching did (filled in as it happens; final once `ready` resolves). */
export interface EsmPatchingInfo {
  mode: EsmPatching;
  /** Frameworks imported and patched at set-up. */
  preloaded: string[];
  /** Whether the ESM loader hook was registered. */
  hook: boolean;
}

export interface TelemetryHandle {
  /** Resolves when set-up has finished patching ES modules (never rejects). */
  ready: Promise<void>;
  /** How ES modules were patched. */
  esm: EsmPatchingInfo;
  tracerProvider: TracerProvider & { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  meterProvider: MeterProvider & { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  /** The logs SDK's LoggerProvider, when a log exporter is configured. */
  loggerProvider?: { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  /** The instrumentations that were enabled (GenAI ones first). */
  instrumentations: Instrumentation[];
  /** Per-exporter counters (exported / dropped). */
  exportStats(): ExportStats[];
  /** Exports everything buffered. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops exporters and instrumentations. Idempotent; never rejects. */
  shutdown(): Promise<void>;
  /** False when `OTEL_SDK_DISABLED` / `disabled` turned everything off. */
  enabled: boolean;
}
