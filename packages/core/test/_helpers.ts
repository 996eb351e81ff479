import { createTestTelemetry, type TestTelemetry } from '@genai-otel/test-utils';
import { type GenAIInstrumentationConfig, GenAITelemetry } from '../src/index.js';

export interface Harness {
  t: TestTelemetry;
  config: GenAIInstrumentationConfig;
  telemetry: GenAITelemetry;
}

/** A GenAITelemetry bound to a real tracer/meter provider and a mutable live config. */
export function harness(
  config: GenAIInstrumentationConfig = {},
  options: Parameters<typeof createTestTelemetry>[0] = {},
): Harness {
  const t = createTestTelemetry(options);
  const h: Harness = {
    t,
    config,
    telemetry: new GenAITelemetry(
      () => t.tracerProvider.getTracer('test'),
      () => t.meterProvider.getMeter('test'),
      () => h.config,
      'test',
    ),
  };
  return h;
}

/** Sum of a histogram's data points by `gen_ai.token.type`. */
export function tokenSums(metric: any): Record<string, { sum: number; count: number }> {
  const out: Record<string, { sum: number; count: number }> = {};
  for (const d of metric?.dataPoints ?? []) {
    const type = d.attributes['gen_ai.token.type'];
    out[type] ??= { sum: 0, count: 0 };
    out[type].sum += d.value.sum;
    out[type].count += d.value.count;
  }
  return out;
}

/** Runs `fn` with environment variables set, restoring them afterwards. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
