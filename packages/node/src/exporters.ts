/**
 * Building exporters and metric readers from names, configs and the standard variables.
 * Everything an exporter package can read from `OTEL_EXPORTER_OTLP_*` itself is left to it,
 * so all the standard variables (headers, compression, certificates, per-signal endpoints)
 * keep working; we only pick the package from the protocol.
 */
import { createRequire } from 'node:module';
import { diag } from '@opentelemetry/api';
import type * as OtlpHttpLogs from '@opentelemetry/exporter-logs-otlp-http';
import type * as OtlpProtoLogs from '@opentelemetry/exporter-logs-otlp-proto';
import type * as OtlpHttpMetrics from '@opentelemetry/exporter-metrics-otlp-http';
import type * as OtlpProtoMetrics from '@opentelemetry/exporter-metrics-otlp-proto';
import type * as Prometheus from '@opentelemetry/exporter-prometheus';
import type * as OtlpHttpTraces from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpProtoTraces from '@opentelemetry/exporter-trace-otlp-proto';
import type * as LogsSdk from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { envNumber, logBatchFromEnv, otlpProtocolFromEnv } from './env.js';
import { TreeSpanExporter } from './tree-exporter.js';
import type {
  ConsoleTreeOptions,
  LogExporterConfig,
  LogExporterName,
  MetricExporterConfig,
  MetricExporterName,
  OtlpOptions,
  OtlpProtocol,
  PrometheusOptions,
  SpanExporterLike,
  TraceExporterConfig,
  TraceExporterName,
} from './types.js';

const localRequire = createRequire(import.meta.url);

/*
 * Exporter packages are loaded when an exporter of that kind is created, not at import: an
 * OTLP exporter with its protobuf code costs ~100 ms of start-up, and most set-ups use one
 * or two of the five. (They are our dependencies, so they resolve from here.)
 */
export const exporterPackages = {
  otlpProtoTraces: () =>
    localRequire('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProtoTraces,
  otlpHttpTraces: () =>
    localRequire('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttpTraces,
  otlpProtoMetrics: () =>
    localRequire('@opentelemetry/exporter-metrics-otlp-proto') as typeof OtlpProtoMetrics,
  otlpHttpMetrics: () =>
    localRequire('@opentelemetry/exporter-metrics-otlp-http') as typeof OtlpHttpMetrics,
  prometheus: () => localRequire('@opentelemetry/exporter-prometheus') as typeof Prometheus,
  otlpProtoLogs: () =>
    localRequire('@opentelemetry/exporter-logs-otlp-proto') as typeof OtlpProtoLogs,
  otlpHttpLogs: () => localRequire('@opentelemetry/exporter-logs-otlp-http') as typeof OtlpHttpLogs,
  /** The logs SDK too: most set-ups export no logs, and never pay for loading it. */
  logsSdk: () => localRequire('@opentelemetry/sdk-logs') as typeof LogsSdk,
};

/** One trace destination: its exporter and how its export stage should run. */
export interface TraceDestination {
  name: string;
  exporter: SpanExporterLike;
  /** In-process exporters (console) export each span at once; network ones batch. */
  immediate: boolean;
}

export function isSpanExporter(value: unknown): value is SpanExporterLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SpanExporterLike).export === 'function' &&
    typeof (value as SpanExporterLike).shutdown === 'function'
  );
}

export function createTraceDestination(
  entry: TraceExporterName | TraceExporterConfig | SpanExporterLike,
  shared: { otlp?: OtlpOptions; console?: ConsoleTreeOptions },
  index: number,
): TraceDestination | undefined {
  if (isSpanExporter(entry)) {
    const name = (entry as { constructor?: { name?: string } }).constructor?.name ?? 'custom';
    // Our console tree is in-process and synchronous: no queue, wherever it comes from.
    return {
      name: `${name}#${index}`,
      exporter: entry,
      immediate: entry instanceof TreeSpanExporter,
    };
  }
  const config: TraceExporterConfig = typeof entry === 'string' ? { type: entry } : entry;
  switch (config.type) {
    case 'none':
      return undefined;
    case 'console':
      return {
        name: config.name ?? 'console',
        exporter: new TreeSpanExporter({ ...shared.console, ...config.console }),
        immediate: true,
      };
    case 'otlp': {
      const otlp = { ...shared.otlp, ...config.otlp };
      return {
        name: config.name ?? 'otlp',
        exporter: createOtlpTraceExporter(otlp),
        immediate: false,
      };
    }
    default:
      diag.warn(
        `genai-otel: unknown trace exporter "${String((config as { type: unknown }).type)}"`,
      );
      return undefined;
  }
}

function resolveProtocol(otlp: OtlpOptions, signal: 'TRACES' | 'METRICS' | 'LOGS'): OtlpProtocol {
  return otlp.protocol ?? otlpProtocolFromEnv(signal) ?? 'http/protobuf';
}

/** The exporter config: only what the caller set, so the exporter reads the rest from env. */
function otlpExporterConfig(
  otlp: OtlpOptions,
  protocol: OtlpProtocol,
  signal: 'traces' | 'metrics' | 'logs',
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const full =
    signal === 'traces'
      ? otlp.tracesEndpoint
      : signal === 'metrics'
        ? otlp.metricsEndpoint
        : otlp.logsEndpoint;
  if (full) config.url = full;
  else if (otlp.endpoint) {
    const base = otlp.endpoint.replace(/\/+$/, '');
    config.url = protocol === 'grpc' ? base : `${base}/v1/${signal}`;
  }
  if (otlp.headers) config.headers = { ...otlp.headers };
  if (otlp.timeoutMillis !== undefined) config.timeoutMillis = otlp.timeoutMillis;
  if (otlp.compression) config.compression = otlp.compression;
  return config;
}

type ExporterClass = new (config: Record<string, unknown>) => any;

/** Where each signal's OTLP exporter class comes from, by protocol. */
const OTLP_EXPORTERS: Record<
  'traces' | 'metrics' | 'logs',
  { grpcPackage: string; grpcClass: string; json: () => ExporterClass; proto: () => ExporterClass }
> = {
  traces: {
    grpcPackage: '@opentelemetry/exporter-trace-otlp-grpc',
    grpcClass: 'OTLPTraceExporter',
    json: () => exporterPackages.otlpHttpTraces().OTLPTraceExporter as ExporterClass,
    proto: () => exporterPackages.otlpProtoTraces().OTLPTraceExporter as ExporterClass,
  },
  metrics: {
    grpcPackage: '@opentelemetry/exporter-metrics-otlp-grpc',
    grpcClass: 'OTLPMetricExporter',
    json: () => exporterPackages.otlpHttpMetrics().OTLPMetricExporter as ExporterClass,
    proto: () => exporterPackages.otlpProtoMetrics().OTLPMetricExporter as ExporterClass,
  },
  logs: {
    grpcPackage: '@opentelemetry/exporter-logs-otlp-grpc',
    grpcClass: 'OTLPLogExporter',
    json: () => exporterPackages.otlpHttpLogs().OTLPLogExporter as ExporterClass,
    proto: () => exporterPackages.otlpProtoLogs().OTLPLogExporter as ExporterClass,
  },
};

/** The OTLP exporter of one signal, for the protocol the options or variables choose. */
function createOtlpExporter(otlp: OtlpOptions, signal: 'traces' | 'metrics' | 'logs'): any {
  const protocol = resolveProtocol(otlp, signal.toUpperCase() as 'TRACES' | 'METRICS' | 'LOGS');
  const config = otlpExporterConfig(otlp, protocol, signal);
  const kind = OTLP_EXPORTERS[signal];
  if (protocol === 'grpc') {
    if (config.headers) {
      config.metadata = toGrpcMetadata(config.headers as Record<string, string>);
      delete config.headers;
    }
    return new (optionalPeer(kind.grpcPackage)[kind.grpcClass] as ExporterClass)(config);
  }
  return new (protocol === 'http/json' ? kind.json() : kind.proto())(config);
}

export function createOtlpTraceExporter(otlp: OtlpOptions): SpanExporterLike {
  return createOtlpExporter(otlp, 'traces') as SpanExporterLike;
}

export function createOtlpMetricExporter(otlp: OtlpOptions): any {
  return createOtlpExporter(otlp, 'metrics');
}

export function createOtlpLogExporter(otlp: OtlpOptions): any {
  return createOtlpExporter(otlp, 'logs');
}

/**
 * A log record processor for one entry of `logExporters`: exporters batch (the logs SDK's
 * defaults, overridden by the `OTEL_BLRP_*` variables; `batch` is the span queues'), the
 * console one exports each record at once.
 */
export function createLogRecordProcessor(
  entry: LogExporterName | LogExporterConfig | object,
  shared: { otlp?: OtlpOptions },
): any | undefined {
  const sdk = exporterPackages.logsSdk();
  const isExporter = typeof entry === 'object' && typeof (entry as any).export === 'function';
  if (isExporter)
    return new sdk.BatchLogRecordProcessor({ exporter: entry as any, ...logBatchFromEnv() });
  const config = (typeof entry === 'string' ? { type: entry } : entry) as LogExporterConfig;
  switch (config.type) {
    case 'none':
      return undefined;
    case 'console':
      return new sdk.SimpleLogRecordProcessor({ exporter: new sdk.ConsoleLogRecordExporter() });
    case 'otlp':
      return new sdk.BatchLogRecordProcessor({
        exporter: createOtlpLogExporter({ ...shared.otlp, ...config.otlp }),
        ...logBatchFromEnv(),
      });
    default:
      diag.warn(`genai-otel: unknown log exporter "${String(config.type)}"`);
      return undefined;
  }
}

function toGrpcMetadata(headers: Record<string, string>): any {
  const { Metadata } = optionalPeer('@grpc/grpc-js', '@opentelemetry/exporter-trace-otlp-grpc');
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return md;
}

/** Loads an optional peer (gRPC support), resolving from the app first, then from us. */
function optionalPeer(name: string, installHint = name): any {
  const attempts = [() => createRequire(`${process.cwd()}/`)(name), () => localRequire(name)];
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // try the next location
    }
  }
  throw new Error(
    `OTLP over gRPC needs the optional package ${installHint}: npm install ${installHint}`,
  );
}

/** A metric reader for one entry of `metricExporters`. */
export function createMetricReader(
  entry: MetricExporterName | MetricExporterConfig | object,
  shared: { otlp?: OtlpOptions; prometheus?: PrometheusOptions; intervalMillis?: number },
): any | undefined {
  if (typeof entry === 'object' && !('type' in entry)) return entry; // a MetricReader instance
  const config = (typeof entry === 'string' ? { type: entry } : entry) as MetricExporterConfig;
  const exportIntervalMillis =
    shared.intervalMillis ?? envNumber('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  const exportTimeoutMillis = Math.min(
    envNumber('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000,
    exportIntervalMillis,
  );
  switch (config.type) {
    case 'none':
      return undefined;
    case 'otlp':
      return new PeriodicExportingMetricReader({
        exporter: createOtlpMetricExporter({ ...shared.otlp, ...config.otlp }),
        exportIntervalMillis,
        exportTimeoutMillis,
      });
    case 'console':
      return new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis,
        exportTimeoutMillis,
      });
    case 'prometheus': {
      const p = { ...shared.prometheus, ...config.prometheus };
      const options: Record<string, unknown> = {};
      if (p.port !== undefined) options.port = p.port;
      if (p.host !== undefined) options.host = p.host;
      if (p.endpoint !== undefined) options.endpoint = p.endpoint;
      return new (exporterPackages.prometheus().PrometheusExporter)(options, (err) => {
        if (err) diag.error(`genai-otel: Prometheus endpoint failed to start: ${err.message}`);
      });
    }
    default:
      diag.warn(`genai-otel: unknown metric exporter "${String(config.type)}"`);
      return undefined;
  }
}
