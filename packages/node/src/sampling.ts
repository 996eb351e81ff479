/**
 * Head sampler and adaptive tail sampling. The standard `OTEL_TRACES_SAMPLER` names map to
 * the SDK samplers; `genai_adaptive` turns on core's `AdaptiveSamplingSpanProcessor` (errors
 * and slow traces always kept, the rest sampled to a target rate) behind core's consistent
 * head sampler.
 */
import * as core from '@genai-otel/core';
import { diag } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { env, envNumber } from './env.js';
import type {
  AdaptiveSamplingSetting,
  SamplerLike,
  SetupTelemetryOptions,
  SpanProcessorLike,
} from './types.js';

export const ADAPTIVE_SAMPLER_NAME = 'genai_adaptive';

// Read through the namespace so an older core without the sampling module still loads.
const sampling = core as unknown as {
  AdaptiveSamplingSpanProcessor?: new (options: Record<string, unknown>) => SpanProcessorLike;
  createHeadSampler?: (options?: { ratio?: number }) => SamplerLike;
  adaptiveSamplingOptionsFromEnv?: () =>
    | { processor: Record<string, unknown>; headSampler: { ratio?: number } }
    | undefined;
};

export function adaptiveRequested(setting: AdaptiveSamplingSetting | undefined): boolean {
  if (setting !== undefined) return setting !== false;
  return env('OTEL_TRACES_SAMPLER')?.toLowerCase() === ADAPTIVE_SAMPLER_NAME;
}

/** Options for the adaptive processor: the explicit ones over the environment's. */
function adaptiveOptions(setting: AdaptiveSamplingSetting | undefined): {
  processor: Record<string, unknown>;
  headSampler: { ratio?: number };
} {
  const fromEnv = sampling.adaptiveSamplingOptionsFromEnv?.() ?? {
    processor: {},
    headSampler: {},
  };
  const explicit = typeof setting === 'object' && setting !== null ? { ...setting } : {};
  const headRatio = explicit.headRatio;
  delete explicit.headRatio;
  return {
    processor: { ...fromEnv.processor, ...explicit },
    headSampler: typeof headRatio === 'number' ? { ratio: headRatio } : { ...fromEnv.headSampler },
  };
}

/**
 * Processor options of the adaptive sampler (explicit over environment), whether or not it is
 * on: with `destinations` they tune the shared tail buffer and the `adaptive` selections.
 */
export function adaptiveSamplingOptions(
  setting: AdaptiveSamplingSetting | undefined,
): Record<string, unknown> {
  return adaptiveOptions(setting).processor;
}

/** The adaptive tail processor in front of `next`, or undefined when it is off. */
export function resolveAdaptiveSampling(
  setting: AdaptiveSamplingSetting | undefined,
  next: SpanProcessorLike,
  meterProvider?: unknown,
): SpanProcessorLike | undefined {
  if (!adaptiveRequested(setting)) return undefined;
  const Processor = sampling.AdaptiveSamplingSpanProcessor;
  if (!Processor) {
    diag.error(
      'genai-otel: adaptive sampling needs a newer @genai-otel/core; exporting everything',
    );
    return undefined;
  }
  return new Processor({
    ...adaptiveOptions(setting).processor,
    ...(meterProvider ? { meterProvider } : {}),
    next,
  });
}

/**
 * The head sampler. Always explicit (parent-based always-on by default), so the SDK never
 * re-reads `OTEL_TRACES_SAMPLER` itself and complains about values only we know.
 */
export function resolveSampler(options: SetupTelemetryOptions): SamplerLike {
  return chooseSampler(options) ?? new ParentBasedSampler({ root: new AlwaysOnSampler() });
}

function chooseSampler(options: SetupTelemetryOptions): SamplerLike | undefined {
  if (adaptiveRequested(options.adaptiveSampling)) {
    // Spans must be SAMPLED for the tail stage to see them; the head sampler keeps `ot=th`.
    const head = adaptiveOptions(options.adaptiveSampling).headSampler;
    if (sampling.createHeadSampler) return sampling.createHeadSampler(head);
  }
  const chosen = options.sampler ?? env('OTEL_TRACES_SAMPLER');
  if (chosen === undefined) return undefined;
  if (typeof chosen !== 'string') return chosen;
  const ratio = clampRatio(options.samplerRatio ?? envNumber('OTEL_TRACES_SAMPLER_ARG') ?? 1);
  switch (chosen.toLowerCase()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case ADAPTIVE_SAMPLER_NAME:
      return undefined; // handled above (only reached with an older core)
    default:
      diag.warn(`genai-otel: unknown sampler "${chosen}"; using parentbased_always_on`);
      return undefined;
  }
}

function clampRatio(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 1;
}
