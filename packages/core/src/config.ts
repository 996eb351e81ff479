import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { DEFAULT_MAX_CONTENT_LENGTH } from './serialize.js';

/** Which attribute vocabularies to emit. GenAI conventions are always emitted. */
export type SemconvVocabulary = 'gen_ai' | 'openinference';

/** Where captured content goes (mirrors the Python `opentelemetry-util-genai` enum). */
export type ContentCaptureMode = 'NO_CONTENT' | 'SPAN_ONLY' | 'EVENT_ONLY' | 'SPAN_AND_EVENT';

export interface RedactContext {
  /** The attribute (or event attribute) the value is about to be recorded under. */
  attribute: string;
}

/**
 * A user hook run on every piece of content before it is recorded. Return the value to
 * record (possibly rewritten), or `undefined` to drop it.
 */
export type RedactHook = (value: string, context: RedactContext) => string | undefined;

/** Options shared by every genai-otel instrumentation. */
export interface GenAIInstrumentationConfig extends InstrumentationConfig {
  /**
   * Record prompts, completions, tool arguments/results and retrieved documents.
   * `true` means `SPAN_ONLY`. Default: the environment variable
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else off.
   * Read on every call, so it can be changed at run time with `setConfig`.
   */
  captureContent?: boolean | ContentCaptureMode;
  /** Extra vocabularies to emit. Default: env `GENAI_OTEL_SEMCONV`, else `['gen_ai']`. */
  semconv?: SemconvVocabulary[];
  /**
   * Runs on every piece of content (span attributes, OpenInference attributes and the content
   * event) before it is recorded. Return `undefined` to drop it. If it throws, the content is
   * dropped (fails closed) and the error is logged through `diag`.
   */
  redact?: RedactHook;
  /**
   * Maximum characters per content attribute; longer values end with `...[truncated]`.
   * Default: env `GENAI_OTEL_MAX_CONTENT_LENGTH`, else 16384.
   */
  maxContentLength?: number;
  /** Tracer provider to use instead of the global one (same as `setTracerProvider`). */
  tracerProvider?: TracerProvider;
  /** Meter provider to use instead of the global one (same as `setMeterProvider`). */
  meterProvider?: MeterProvider;
  /**
   * Logger provider for the `gen_ai.client.inference.operation.details` content event
   * (`EVENT_ONLY` / `SPAN_AND_EVENT`), instead of the global one (same as `setLoggerProvider`).
   * With neither, the event is recorded on the span instead of as a log record.
   */
  loggerProvider?: LoggerProvider;
}

export const ENV_CAPTURE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
export const ENV_SEMCONV = 'GENAI_OTEL_SEMCONV';
export const ENV_MAX_CONTENT_LENGTH = 'GENAI_OTEL_MAX_CONTENT_LENGTH';

const MODES: readonly ContentCaptureMode[] = [
  'NO_CONTENT',
  'SPAN_ONLY',
  'EVENT_ONLY',
  'SPAN_AND_EVENT',
];

/** Parses the capture switch as accepted from config or env: booleans and the enum. */
export function parseCaptureMode(raw: unknown): ContentCaptureMode | undefined {
  if (raw === true) return 'SPAN_ONLY';
  if (raw === false) return 'NO_CONTENT';
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim();
  if (v === '') return undefined;
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes' || lower === 'on') return 'SPAN_ONLY';
  if (lower === 'false' || lower === '0' || lower === 'no' || lower === 'off') return 'NO_CONTENT';
  const upper = v.toUpperCase() as ContentCaptureMode;
  return MODES.includes(upper) ? upper : undefined;
}

/** The capture mode in force right now: config first, then the environment, then off. */
export function resolveCaptureMode(
  config: Pick<GenAIInstrumentationConfig, 'captureContent'>,
): ContentCaptureMode {
  return (
    parseCaptureMode(config.captureContent) ??
    parseCaptureMode(readEnv(ENV_CAPTURE_CONTENT)) ??
    'NO_CONTENT'
  );
}

/** The vocabularies in force: config first, then `GENAI_OTEL_SEMCONV`; GenAI always included. */
export function resolveSemconv(config: Pick<GenAIInstrumentationConfig, 'semconv'>): {
  genAI: true;
  openInference: boolean;
} {
  const raw: unknown = config.semconv;
  if (Array.isArray(raw)) return raw.some(isOpenInference) ? WITH_OPENINFERENCE : GEN_AI_ONLY;
  // Tolerate a comma-separated string from hand-written (JS) configs.
  return semconvFromList(typeof raw === 'string' ? raw : readEnv(ENV_SEMCONV));
}

const GEN_AI_ONLY = Object.freeze({ genAI: true, openInference: false } as const);
const WITH_OPENINFERENCE = Object.freeze({ genAI: true, openInference: true } as const);
const isOpenInference = (v: unknown) => String(v).trim().toLowerCase() === 'openinference';

// Resolved once per span, so the last list string parsed is remembered (it rarely changes).
let lastList: string | undefined;
let lastResolved: typeof GEN_AI_ONLY | typeof WITH_OPENINFERENCE = GEN_AI_ONLY;
function semconvFromList(list: string | undefined) {
  if (!list) return GEN_AI_ONLY;
  if (list !== lastList) {
    lastResolved = parseList(list).some(isOpenInference) ? WITH_OPENINFERENCE : GEN_AI_ONLY;
    lastList = list;
  }
  return lastResolved;
}

/** The per-attribute content limit in force: config, then env, then 16384. */
export function resolveMaxContentLength(
  config: Pick<GenAIInstrumentationConfig, 'maxContentLength'>,
): number {
  const fromConfig = config.maxContentLength;
  if (typeof fromConfig === 'number' && fromConfig > 0) return Math.floor(fromConfig);
  const fromEnv = Number(readEnv(ENV_MAX_CONTENT_LENGTH));
  return Number.isFinite(fromEnv) && fromEnv > 0 ? Math.floor(fromEnv) : DEFAULT_MAX_CONTENT_LENGTH;
}

export function readEnv(name: string): string | undefined {
  try {
    return typeof process !== 'undefined' ? process.env[name] : undefined;
  } catch {
    return undefined;
  }
}

function parseList(raw: string | undefined): string[] {
  return raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
