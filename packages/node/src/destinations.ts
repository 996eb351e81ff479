/**
 * Several backends at once: each destination is an exporter plus a selection (all, errors
 * only, adaptive, attribute routing), decided per trace by core's `TraceRoutingSpanProcessor`
 * (one trace buffer whatever the number of destinations), each behind its own bounded export
 * stage so that a down, slow or throwing backend never delays or drops another's spans.
 */
import {
  type AttributeCondition,
  type DestinationSelection,
  type DestinationSelectionStats,
  TraceRoutingSpanProcessor,
} from '@genai-otel/core';
import { diag } from '@opentelemetry/api';
import { parseKeyValueList } from './env.js';
import { BoundedExportSpanProcessor } from './export-processor.js';
import { createTraceDestination, isSpanExporter, type TraceDestination } from './exporters.js';
import type {
  BatchOptions,
  ConsoleTreeOptions,
  OtlpOptions,
  OtlpProtocol,
  SpanExporterLike,
  SpanProcessorLike,
} from './types.js';

export type { AttributeCondition, DestinationSelection, DestinationSelectionStats };

/** One backend of `setupTelemetry({ destinations })`. */
export interface DestinationConfig {
  /** `otlp`, `console`, `none`, or an exporter instance. */
  exporter: 'otlp' | 'console' | 'none' | SpanExporterLike;
  /** Name in statistics and the `genai_otel.*` metrics (`genai_otel.destination`). Default: derived from the exporter and endpoint. */
  name?: string;
  /** OTLP base endpoint (`/v1/traces` is appended for HTTP), e.g. `http://alerts:4318`. */
  endpoint?: string;
  /** OTLP protocol. Default: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, else `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** OTLP headers (vendor API keys...), merged over the shared ones. */
  headers?: Record<string, string>;
  compression?: 'gzip' | 'none';
  /** Per-export timeout of this destination, ms. */
  timeoutMillis?: number;
  /** Full OTLP options (the shortcuts above win). */
  otlp?: OtlpOptions;
  /** Console tree options for a `console` destination. */
  console?: ConsoleTreeOptions;
  /** Queue bounds of this destination's export stage (over the shared `batch`). */
  batch?: BatchOptions;
  /** Which traces go there. Default `{ all: true }` (or `{ adaptive: true }` when `adaptiveSampling` is on). */
  select?: DestinationSelection;
}

/** A destination as built: exporter, its bounded stage, and its selection. */
export interface BuiltDestination extends TraceDestination {
  stage: BoundedExportSpanProcessor;
  select: DestinationSelection;
}

export interface DestinationStage {
  /** The routing processor (add it to the tracer provider). */
  processor: TraceRoutingSpanProcessor;
  destinations: BuiltDestination[];
}

export interface DestinationStageOptions {
  otlp?: OtlpOptions;
  console?: ConsoleTreeOptions;
  batch?: BatchOptions;
  /** Options of the shared tail buffer and defaults of `adaptive` selections (core's adaptive options). */
  sampling?: Record<string, unknown>;
  /** Selection of destinations that set none. Default `{ all: true }`. */
  defaultSelect?: DestinationSelection;
  meterProvider?: unknown;
}

/**
 * Builds the routing processor and one bounded export stage per destination. Destinations
 * that cannot be created are reported through `diag` and skipped; never throws for them.
 */
export function buildDestinationStage(
  configs: DestinationConfig[],
  options: DestinationStageOptions = {},
): DestinationStage {
  const built: BuiltDestination[] = [];
  const names = new Set<string>();
  configs.forEach((config, i) => {
    try {
      const d = createDestination(config, options, i);
      if (!d) return;
      let name = d.name;
      for (let n = 2; names.has(name); n++) name = `${d.name}#${n}`;
      names.add(name);
      d.name = name;
      d.stage = new BoundedExportSpanProcessor(d.exporter, {
        ...options.batch,
        ...config.batch,
        name,
        immediate: d.immediate,
      });
      built.push(d);
    } catch (err) {
      diag.error(`genai-otel: destination #${i} not created: ${(err as Error).message}`);
    }
  });
  const processor = new TraceRoutingSpanProcessor({
    ...(options.sampling ?? {}),
    ...(options.meterProvider ? { meterProvider: options.meterProvider as any } : {}),
    destinations: built.map((d) => ({
      name: d.name,
      next: d.stage as SpanProcessorLike,
      select: d.select,
    })),
  });
  return { processor, destinations: built };
}

function createDestination(
  config: DestinationConfig,
  options: DestinationStageOptions,
  index: number,
): BuiltDestination | undefined {
  if (!config || typeof config !== 'object') {
    diag.warn(`genai-otel: destination #${index} ignored (expected an object)`);
    return undefined;
  }
  const select = config.select ?? options.defaultSelect ?? { all: true };
  const exporter = config.exporter;
  let destination: TraceDestination | undefined;
  if (isSpanExporter(exporter)) {
    destination = createTraceDestination(exporter, {}, index);
    if (destination && config.name) destination.name = config.name;
  } else if (exporter === 'otlp') {
    const otlp: OtlpOptions = { ...options.otlp, ...config.otlp };
    if (config.endpoint) {
      otlp.endpoint = config.endpoint;
      if (!config.otlp?.tracesEndpoint) delete otlp.tracesEndpoint;
    }
    if (config.protocol) otlp.protocol = config.protocol;
    if (config.headers) otlp.headers = { ...otlp.headers, ...config.headers };
    if (config.compression) otlp.compression = config.compression;
    if (config.timeoutMillis !== undefined) otlp.timeoutMillis = config.timeoutMillis;
    destination = createTraceDestination(
      { type: 'otlp', otlp, name: config.name ?? defaultOtlpName(otlp) },
      {},
      index,
    );
  } else if (exporter === 'console' || exporter === 'none') {
    destination = createTraceDestination(
      { type: exporter, console: config.console, name: config.name },
      { console: options.console },
      index,
    );
  } else {
    diag.warn(`genai-otel: destination #${index}: unknown exporter "${String(exporter)}" ignored`);
  }
  if (!destination) return undefined;
  return { ...destination, select, stage: undefined as unknown as BoundedExportSpanProcessor };
}

function defaultOtlpName(otlp: OtlpOptions): string {
  const url = otlp.tracesEndpoint ?? otlp.endpoint;
  if (!url) return 'otlp';
  try {
    return `otlp ${new URL(url).host}`;
  } catch {
    return 'otlp';
  }
}

// --- environment ---------------------------------------------------------------------------

/** JSON array of destinations (same fields as the `destinations` option). */
export const DESTINATIONS_ENV = 'GENAI_OTEL_DESTINATIONS';
/** Prefix of the indexed form: `GENAI_OTEL_DESTINATION_<N>_<FIELD>`. */
export const DESTINATION_ENV_PREFIX = 'GENAI_OTEL_DESTINATION_';
/** Fields of the indexed form. */
export const DESTINATION_ENV_FIELDS = [
  'EXPORTER',
  'NAME',
  'ENDPOINT',
  'PROTOCOL',
  'HEADERS',
  'COMPRESSION',
  'TIMEOUT',
  'SELECT',
  'WHERE',
  'EXCLUDE_ERRORS',
] as const;

/**
 * Destinations from the environment, or undefined when none are configured:
 * `GENAI_OTEL_DESTINATIONS` (JSON), else the indexed `GENAI_OTEL_DESTINATION_<N>_*` variables.
 * Never throws: malformed values are reported through `diag` and skipped.
 */
export function destinationsFromEnv(
  vars: Record<string, string | undefined> = process.env,
): DestinationConfig[] | undefined {
  const json = vars[DESTINATIONS_ENV]?.trim();
  if (json) {
    try {
      const parsed = JSON.parse(json);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      return list.filter((d, i) => {
        const ok =
          d && typeof d === 'object' && ['otlp', 'console', 'none'].includes(String(d.exporter));
        if (!ok) diag.warn(`genai-otel: ${DESTINATIONS_ENV}[${i}] ignored (needs "exporter")`);
        return ok;
      }) as DestinationConfig[];
    } catch (err) {
      diag.error(`genai-otel: ${DESTINATIONS_ENV} is not valid JSON: ${(err as Error).message}`);
      return undefined;
    }
  }
  const indexes = new Set<number>();
  const re = /^GENAI_OTEL_DESTINATION_(\d{1,3})_([A-Z_]+)$/;
  for (const key of Object.keys(vars)) {
    const m = re.exec(key);
    if (m && vars[key]?.trim()) indexes.add(Number(m[1]));
  }
  if (indexes.size === 0) return undefined;
  const out: DestinationConfig[] = [];
  for (const n of [...indexes].sort((a, b) => a - b)) {
    const get = (field: string) => {
      const v = vars[`${DESTINATION_ENV_PREFIX}${n}_${field}`]?.trim();
      return v ? v : undefined;
    };
    const exporter = (get('EXPORTER') ?? 'otlp').toLowerCase();
    if (exporter !== 'otlp' && exporter !== 'console' && exporter !== 'none') {
      diag.warn(`genai-otel: ${DESTINATION_ENV_PREFIX}${n}_EXPORTER=${exporter} ignored`);
      continue;
    }
    const d: DestinationConfig = { exporter };
    const name = get('NAME');
    if (name) d.name = name;
    const endpoint = get('ENDPOINT');
    if (endpoint) d.endpoint = endpoint;
    const protocol = get('PROTOCOL');
    if (protocol === 'http/protobuf' || protocol === 'http/json' || protocol === 'grpc')
      d.protocol = protocol;
    else if (protocol) diag.warn(`genai-otel: ${DESTINATION_ENV_PREFIX}${n}_PROTOCOL ignored`);
    const headers = get('HEADERS');
    if (headers) d.headers = parseKeyValueList(headers);
    const compression = get('COMPRESSION');
    if (compression === 'gzip' || compression === 'none') d.compression = compression;
    const timeout = Number(get('TIMEOUT'));
    if (Number.isFinite(timeout) && timeout > 0) d.timeoutMillis = timeout;
    const select = parseSelect(get('SELECT'), `${DESTINATION_ENV_PREFIX}${n}_SELECT`);
    const where = parseWhere(get('WHERE'));
    const excludeErrors = /^(1|true|yes|on)$/i.test(get('EXCLUDE_ERRORS') ?? '');
    if (select || where || excludeErrors) {
      d.select = { ...(select ?? { all: true }) };
      if (where) d.select.where = where;
      if (excludeErrors) d.select.excludeErrors = true;
    }
    out.push(d);
  }
  return out;
}

const ADAPTIVE_KEYS = new Set(['targetTracesPerSecond', 'minRate', 'maxRate', 'keepSlow']);

/**
 * `all`, `all:immediate`, `errors` (or `errorsOnly`), `adaptive`, or
 * `adaptive:maxRate=0.05,targetTracesPerSecond=2`.
 */
export function parseSelect(
  raw: string | undefined,
  source = 'select',
): DestinationSelection | undefined {
  if (!raw) return undefined;
  const [head, rest] = splitOnce(raw.trim(), ':');
  switch (head.toLowerCase()) {
    case 'all':
      if (rest !== undefined && rest.trim().toLowerCase() === 'immediate')
        return { all: true, immediate: true };
      if (rest) diag.warn(`genai-otel: ${source}=${raw}: only all:immediate is known; all used`);
      return { all: true };
    case 'errors':
    case 'errorsonly':
    case 'errors_only':
      return { errorsOnly: true };
    case 'adaptive': {
      const adaptive: Record<string, number | boolean> = {};
      for (const [k, v] of Object.entries(parseKeyValueList(rest ?? ''))) {
        if (!ADAPTIVE_KEYS.has(k)) {
          diag.warn(`genai-otel: ${source}: unknown adaptive setting "${k}" ignored`);
          continue;
        }
        if (k === 'keepSlow') adaptive.keepSlow = !/^(0|false|no|off)$/i.test(v);
        else {
          const n = Number(v);
          if (Number.isFinite(n) && n >= 0) adaptive[k] = n;
          else diag.warn(`genai-otel: ${source}: ${k}=${v} ignored (expected a number)`);
        }
      }
      return { adaptive };
    }
    default:
      diag.warn(`genai-otel: ${source}=${raw} ignored (expected all, errors or adaptive)`);
      return undefined;
  }
}

/**
 * `key=value` conditions separated by `,`: `key=a|b` (any of), `key~=regex`, `key=*` (present),
 * `!key` (absent). E.g. `gen_ai.provider.name=anthropic,deployment.environment=prod|staging`.
 */
export function parseWhere(
  raw: string | undefined,
): Record<string, AttributeCondition> | undefined {
  if (!raw) return undefined;
  const where: Record<string, AttributeCondition> = {};
  for (const part of raw.split(',')) {
    const p = part.trim();
    if (!p) continue;
    if (p.startsWith('!')) {
      where[p.slice(1).trim()] = { exists: false };
      continue;
    }
    const regex = p.indexOf('~=');
    const eq = p.indexOf('=');
    if (regex > 0 && regex < eq) {
      where[p.slice(0, regex).trim()] = { regex: p.slice(regex + 2).trim() };
      continue;
    }
    if (eq <= 0) {
      diag.warn(`genai-otel: destination condition "${p}" ignored (expected key=value)`);
      continue;
    }
    const key = p.slice(0, eq).trim();
    const value = p.slice(eq + 1).trim();
    if (value === '*') where[key] = { exists: true };
    else {
      const values = value.split('|').map((v) => v.trim());
      where[key] = values.length === 1 ? values[0]! : values;
    }
  }
  return Object.keys(where).length > 0 ? where : undefined;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
