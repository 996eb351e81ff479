import { diag } from '@opentelemetry/api';
import type { HeadSamplerOptions } from './head-sampler.js';
import type { AdaptiveSamplingOptions } from './types.js';

/** `OTEL_TRACES_SAMPLER` value that selects adaptive tail sampling. */
export const GENAI_ADAPTIVE_SAMPLER = 'genai_adaptive';

type EnvOptions = Omit<
  AdaptiveSamplingOptions,
  'next' | 'isError' | 'keyOf' | 'meterProvider' | 'clock' | 'random'
>;

/** What `adaptiveSamplingOptionsFromEnv` found. */
export interface AdaptiveSamplingEnvConfig {
  /** Options for `AdaptiveSamplingSpanProcessor` (add `next`). */
  processor: EnvOptions;
  /** Options for `createHeadSampler`. */
  headSampler: HeadSamplerOptions;
}

type NumericKey = Exclude<keyof EnvOptions, 'mode' | 'sweepIntervalMs'>;

/** `GENAI_OTEL_SAMPLING_*` variables and the option each sets. */
export const SAMPLING_ENV_VARIABLES: Readonly<Record<string, NumericKey | 'mode' | 'headRatio'>> = {
  GENAI_OTEL_SAMPLING_TARGET_TPS: 'targetTracesPerSecond',
  GENAI_OTEL_SAMPLING_MIN_RATE: 'minRate',
  GENAI_OTEL_SAMPLING_MAX_RATE: 'maxRate',
  GENAI_OTEL_SAMPLING_LATENCY_QUANTILE: 'latencyQuantile',
  GENAI_OTEL_SAMPLING_SLOW_THRESHOLD_MS: 'slowThresholdMs',
  GENAI_OTEL_SAMPLING_LATENCY_MIN_SAMPLES: 'latencyMinSamples',
  GENAI_OTEL_SAMPLING_LATENCY_WINDOW_MS: 'latencyWindowMs',
  GENAI_OTEL_SAMPLING_MAX_KEYS: 'maxKeys',
  GENAI_OTEL_SAMPLING_DECISION_WAIT_MS: 'decisionWaitMs',
  GENAI_OTEL_SAMPLING_MAX_TRACE_DURATION_MS: 'maxTraceDurationMs',
  GENAI_OTEL_SAMPLING_MAX_BUFFERED_TRACES: 'maxBufferedTraces',
  GENAI_OTEL_SAMPLING_MAX_SPANS_PER_TRACE: 'maxSpansPerTrace',
  GENAI_OTEL_SAMPLING_MAX_BUFFERED_SPANS: 'maxBufferedSpans',
  GENAI_OTEL_SAMPLING_MAX_BUFFERED_LOG_RECORDS: 'maxBufferedLogRecords',
  GENAI_OTEL_SAMPLING_DECISION_CACHE_SIZE: 'decisionCacheSize',
  GENAI_OTEL_SAMPLING_ADAPTATION_INTERVAL_MS: 'adaptationIntervalMs',
  GENAI_OTEL_SAMPLING_MODE: 'mode',
  GENAI_OTEL_SAMPLING_HEAD_RATIO: 'headRatio',
};

/** Keys accepted in `OTEL_TRACES_SAMPLER_ARG` (`key=value` pairs, comma separated). */
const ARG_KEYS = new Set<string>([...Object.values(SAMPLING_ENV_VARIABLES)]);

const PROBABILITIES = new Set<string>(['minRate', 'maxRate', 'headRatio']);

/**
 * Reads adaptive sampling settings from the environment. Returns `undefined` unless
 * `OTEL_TRACES_SAMPLER=genai_adaptive`. `OTEL_TRACES_SAMPLER_ARG` is either a number (the
 * target kept baseline traces per second) or `key=value` pairs using option names
 * (`targetTracesPerSecond=2,maxRate=0.1,mode=annotate,headRatio=0.5`); `GENAI_OTEL_SAMPLING_*`
 * variables (see {@link SAMPLING_ENV_VARIABLES}) override it. Invalid values are reported
 * through `diag.warn` and ignored; this function never throws.
 */
export function adaptiveSamplingOptionsFromEnv(
  env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env,
): AdaptiveSamplingEnvConfig | undefined {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (sampler !== GENAI_ADAPTIVE_SAMPLER) return undefined;
  const processor: EnvOptions = {};
  const headSampler: HeadSamplerOptions = {};
  const apply = (key: string, raw: string, source: string) => {
    const value = raw.trim();
    if (value === '') return;
    if (key === 'mode') {
      const mode = value.toLowerCase();
      if (mode === 'sample' || mode === 'annotate') processor.mode = mode;
      else warn(source, value, "'sample' or 'annotate'");
      return;
    }
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (PROBABILITIES.has(key) && n > 1)) {
      warn(source, value, PROBABILITIES.has(key) ? 'a number in [0, 1]' : 'a non-negative number');
      return;
    }
    if (key === 'latencyQuantile' && !(n > 0 && n < 1)) {
      warn(source, value, 'a number in (0, 1)');
      return;
    }
    if (key === 'headRatio') headSampler.ratio = n;
    else processor[key as NumericKey] = n;
  };

  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (arg) {
    if (!arg.includes('=')) {
      apply('targetTracesPerSecond', arg, 'OTEL_TRACES_SAMPLER_ARG');
    } else {
      for (const pair of arg.split(',')) {
        const eq = pair.indexOf('=');
        const key = pair.slice(0, eq).trim();
        if (eq <= 0 || !ARG_KEYS.has(key)) {
          if (pair.trim())
            warnOnce(`OTEL_TRACES_SAMPLER_ARG: unknown setting '${pair.trim()}' ignored`);
          continue;
        }
        apply(key, pair.slice(eq + 1), `OTEL_TRACES_SAMPLER_ARG ${key}`);
      }
    }
  }
  for (const [name, key] of Object.entries(SAMPLING_ENV_VARIABLES)) {
    const raw = env[name];
    if (raw !== undefined) apply(key, raw, name);
  }
  return { processor, headSampler };
}

function warn(source: string, value: string, expected: string): void {
  warnOnce(`${source}: invalid value '${value}' ignored (expected ${expected})`);
}

function warnOnce(message: string): void {
  try {
    diag.warn(`genai-otel: ${message}`);
  } catch {
    // a throwing diag logger must not break start-up
  }
}
