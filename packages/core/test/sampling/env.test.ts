import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adaptiveSamplingOptionsFromEnv,
  SAMPLING_ENV_VARIABLES,
} from '../../src/sampling/index.js';

describe('adaptiveSamplingOptionsFromEnv', () => {
  const warnings: string[] = [];
  diag.setLogger(
    {
      warn: (m: string) => warnings.push(m),
      error: () => {},
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  afterEach(() => {
    warnings.length = 0;
  });

  it('is off unless OTEL_TRACES_SAMPLER=genai_adaptive', () => {
    expect(adaptiveSamplingOptionsFromEnv({})).toBeUndefined();
    expect(
      adaptiveSamplingOptionsFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }),
    ).toBeUndefined();
    expect(adaptiveSamplingOptionsFromEnv({ OTEL_TRACES_SAMPLER: ' GENAI_ADAPTIVE ' })).toEqual({
      processor: {},
      headSampler: {},
    });
  });

  it('reads a bare OTEL_TRACES_SAMPLER_ARG as the target traces per second', () => {
    const c = adaptiveSamplingOptionsFromEnv({
      OTEL_TRACES_SAMPLER: 'genai_adaptive',
      OTEL_TRACES_SAMPLER_ARG: '2.5',
    });
    expect(c?.processor.targetTracesPerSecond).toBe(2.5);
  });

  it('reads key=value pairs from the ARG, overridden by GENAI_OTEL_SAMPLING_* variables', () => {
    const c = adaptiveSamplingOptionsFromEnv({
      OTEL_TRACES_SAMPLER: 'genai_adaptive',
      OTEL_TRACES_SAMPLER_ARG: 'targetTracesPerSecond=3, maxRate=0.1,mode=annotate,headRatio=0.5',
      GENAI_OTEL_SAMPLING_MAX_RATE: '0.2',
      GENAI_OTEL_SAMPLING_DECISION_WAIT_MS: '250',
      GENAI_OTEL_SAMPLING_MAX_BUFFERED_TRACES: '5000',
    });
    expect(c).toEqual({
      processor: {
        targetTracesPerSecond: 3,
        maxRate: 0.2,
        mode: 'annotate',
        decisionWaitMs: 250,
        maxBufferedTraces: 5000,
      },
      headSampler: { ratio: 0.5 },
    });
  });

  it('ignores and reports invalid values without throwing', () => {
    const c = adaptiveSamplingOptionsFromEnv({
      OTEL_TRACES_SAMPLER: 'genai_adaptive',
      OTEL_TRACES_SAMPLER_ARG: 'nope=1,minRate=2',
      GENAI_OTEL_SAMPLING_MODE: 'drop-everything',
      GENAI_OTEL_SAMPLING_LATENCY_QUANTILE: '1',
      GENAI_OTEL_SAMPLING_TARGET_TPS: 'fast',
    });
    expect(c).toEqual({ processor: {}, headSampler: {} });
    expect(warnings).toHaveLength(5);
    expect(warnings.join('\n')).toContain('GENAI_OTEL_SAMPLING_MODE');
  });

  it('documents one variable per option', () => {
    expect(new Set(Object.values(SAMPLING_ENV_VARIABLES)).size).toBe(
      Object.keys(SAMPLING_ENV_VARIABLES).length,
    );
    for (const name of Object.keys(SAMPLING_ENV_VARIABLES))
      expect(name).toMatch(/^GENAI_OTEL_SAMPLING_/);
  });
});
