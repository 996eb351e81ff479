/**
 * Reading the standard OpenTelemetry environment variables (and ours). Every reader is
 * total: bad values are ignored (with a diag warning) rather than thrown.
 */
import { diag } from '@opentelemetry/api';
import type {
  LogExporterName,
  MetricExporterName,
  OtlpProtocol,
  TraceExporterName,
} from './types.js';

export function env(name: string): string | undefined {
  try {
    const v = process.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  } catch {
    return undefined;
  }
}

export function envBool(name: string): boolean | undefined {
  const v = env(name)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  diag.warn(`genai-otel: ignoring ${name}=${v} (expected true or false)`);
  return undefined;
}

export function envNumber(name: string): number | undefined {
  const raw = env(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (Number.isFinite(n)) return n;
  diag.warn(`genai-otel: ignoring ${name}=${raw} (expected a number)`);
  return undefined;
}

export function envList(name: string): string[] | undefined {
  const raw = env(name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

const TRACE_EXPORTERS: readonly string[] = ['console', 'otlp', 'none'];
const METRIC_EXPORTERS: readonly string[] = ['console', 'otlp', 'prometheus', 'none'];
const LOG_EXPORTERS: readonly string[] = ['console', 'otlp', 'none'];

type Signal = 'TRACES' | 'METRICS' | 'LOGS';

function otlpEndpointConfigured(signal: Signal): boolean {
  return (
    env('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    env(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) !== undefined
  );
}

/**
 * An `OTEL_*_EXPORTER` list: known names only (others are ignored with a warning), empty for
 * `none`; when the variable is unset, `otlp` if an OTLP endpoint is set, else `fallback`.
 */
function exportersFromEnv<T extends string>(
  variable: string,
  known: readonly string[],
  signal: Signal,
  fallback: T[],
): T[] {
  const list = envList(variable);
  if (list) {
    const names = list.filter((n) => {
      if (known.includes(n)) return true;
      diag.warn(`genai-otel: unknown ${variable} entry "${n}" ignored`);
      return false;
    }) as T[];
    return names.includes('none' as T) ? [] : names;
  }
  return otlpEndpointConfigured(signal) ? ['otlp' as T] : fallback;
}

/** `OTEL_TRACES_EXPORTER`; else `otlp` if an OTLP endpoint is set; else `console`. */
export function traceExportersFromEnv(): TraceExporterName[] {
  return exportersFromEnv<TraceExporterName>('OTEL_TRACES_EXPORTER', TRACE_EXPORTERS, 'TRACES', [
    'console',
  ]);
}

/** `OTEL_METRICS_EXPORTER`; else `otlp` if an OTLP endpoint is set; else none. */
export function metricExportersFromEnv(): MetricExporterName[] {
  return exportersFromEnv<MetricExporterName>(
    'OTEL_METRICS_EXPORTER',
    METRIC_EXPORTERS,
    'METRICS',
    [],
  );
}

/** `OTEL_LOGS_EXPORTER`; else `otlp` if an OTLP endpoint is set; else none. */
export function logExportersFromEnv(): LogExporterName[] {
  return exportersFromEnv<LogExporterName>('OTEL_LOGS_EXPORTER', LOG_EXPORTERS, 'LOGS', []);
}

/**
 * The log record batch settings from `OTEL_BLRP_*` (the logs SDK takes them as options only):
 * positive whole numbers; anything else is left to the SDK's defaults.
 */
export function logBatchFromEnv(): {
  scheduledDelayMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  exportTimeoutMillis?: number;
} {
  const out: Record<string, number> = {};
  const read = (key: string, name: string) => {
    const n = envNumber(name);
    if (n !== undefined && n > 0) out[key] = Math.floor(n);
  };
  read('scheduledDelayMillis', 'OTEL_BLRP_SCHEDULE_DELAY');
  read('maxQueueSize', 'OTEL_BLRP_MAX_QUEUE_SIZE');
  read('maxExportBatchSize', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE');
  read('exportTimeoutMillis', 'OTEL_BLRP_EXPORT_TIMEOUT');
  return out;
}

export function otlpProtocolFromEnv(signal: Signal): OtlpProtocol | undefined {
  const raw = env(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? env('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (raw === undefined) return undefined;
  if (raw === 'http/protobuf' || raw === 'http/json' || raw === 'grpc') return raw;
  diag.warn(`genai-otel: unknown OTLP protocol "${raw}", using http/protobuf`);
  return undefined;
}

/** Parses `key1=value1,key2=value2` (W3C baggage style, values percent-decoded). */
export function parseKeyValueList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (key) out[key] = value;
  }
  return out;
}

const INSTRUMENTATION_NAMES = ['anthropic', 'langchain', 'llamaindex'] as const;

/**
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (the names
 * `anthropic`, `langchain`, `llamaindex`), as a selection; undefined when neither is set.
 */
export function instrumentationSelectionFromEnv():
  | Partial<Record<(typeof INSTRUMENTATION_NAMES)[number], boolean>>
  | undefined {
  const enabled = envList('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = envList('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  if (!enabled && !disabled) return undefined;
  const selection: Partial<Record<(typeof INSTRUMENTATION_NAMES)[number], boolean>> = {};
  for (const name of INSTRUMENTATION_NAMES) {
    // Listed as enabled: on when its framework is installed (auto); not listed: off.
    if (enabled && !enabled.includes(name)) selection[name] = false;
    if (disabled?.includes(name)) selection[name] = false;
  }
  return selection;
}

/** `GENAI_OTEL_BAGGAGE_KEYS`: baggage keys copied onto spans (comma separated). */
export function baggageKeysFromEnv(): string[] | undefined {
  const raw = env('GENAI_OTEL_BAGGAGE_KEYS');
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
