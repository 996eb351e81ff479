/**
 * Reading the standard OpenTelemetry environment variables (and ours). Every reader is
 * total: bad values are ignored (with a diag warning) rather than thrown.
 */
import { diag } from '@opentelemetry/api';
import type { MetricExporterName, OtlpProtocol, TraceExporterName } from './types.js';

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

function otlpEndpointConfigured(signal: 'TRACES' | 'METRICS'): boolean {
  return (
    env('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    env(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) !== undefined
  );
}

/** `OTEL_TRACES_EXPORTER`; else `otlp` if an OTLP endpoint is set; else `console`. */
export function traceExportersFromEnv(): TraceExporterName[] {
  const list = envList('OTEL_TRACES_EXPORTER');
  if (list) {
    const known = list.filter((n) => {
      if (TRACE_EXPORTERS.includes(n)) return true;
      diag.warn(`genai-otel: unknown OTEL_TRACES_EXPORTER entry "${n}" ignored`);
      return false;
    }) as TraceExporterName[];
    return known.includes('none') ? [] : known;
  }
  return otlpEndpointConfigured('TRACES') ? ['otlp'] : ['console'];
}

/** `OTEL_METRICS_EXPORTER`; else `otlp` if an OTLP endpoint is set; else none. */
export function metricExportersFromEnv(): MetricExporterName[] {
  const list = envList('OTEL_METRICS_EXPORTER');
  if (list) {
    const known = list.filter((n) => {
      if (METRIC_EXPORTERS.includes(n)) return true;
      diag.warn(`genai-otel: unknown OTEL_METRICS_EXPORTER entry "${n}" ignored`);
      return false;
    }) as MetricExporterName[];
    return known.includes('none') ? [] : known;
  }
  return otlpEndpointConfigured('METRICS') ? ['otlp'] : [];
}

export function otlpProtocolFromEnv(signal: 'TRACES' | 'METRICS'): OtlpProtocol | undefined {
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
