import { createTestTelemetry, type TestTelemetry } from '@genai-otel/test-utils';
import { LlamaIndexInstrumentor } from '../src/index.js';
import type { LlamaIndexInstrumentationConfig } from '../src/types.js';

export interface Harness {
  t: TestTelemetry;
  instrumentor: LlamaIndexInstrumentor;
}

/** Telemetry plus an enabled instrumentor (create it BEFORE requiring llamaindex). */
export function createHarness(config: LlamaIndexInstrumentationConfig = {}): Harness {
  const t = createTestTelemetry();
  const instrumentor = new LlamaIndexInstrumentor({
    tracerProvider: t.tracerProvider,
    meterProvider: t.meterProvider,
    ...config,
  });
  instrumentor.instrument();
  return { t, instrumentor };
}

export const byName = (spans: any[], name: string): any[] => spans.filter((s) => s.name === name);

export function one(spans: any[], name: string): any {
  const found = byName(spans, name);
  if (found.length !== 1) {
    throw new Error(
      `expected exactly one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return found[0];
}

export const spanId = (s: any): string => s.spanContext().spanId;
export const traceIdOf = (s: any): string => s.spanContext().traceId;
