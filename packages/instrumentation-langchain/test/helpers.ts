import { createRequire } from 'node:module';
import { createTestTelemetry, parentId, type TestTelemetry } from '@genai-otel/test-utils';
import { type LangChainInstrumentationConfig, LangChainInstrumentor } from '../src/index.js';

export const requireFromTest = createRequire(import.meta.url);

export interface Harness {
  telemetry: TestTelemetry;
  instrumentation: LangChainInstrumentor;
  /** Node's require (so the module hooks see the load), resolving from this package. */
  require: NodeJS.Require;
}

/** Telemetry + an enabled instrumentation. Call before requiring LangChain. */
export function setup(config: LangChainInstrumentationConfig = {}): Harness {
  const telemetry = createTestTelemetry();
  const instrumentation = new LangChainInstrumentor(config);
  instrumentation.setTracerProvider(telemetry.tracerProvider);
  instrumentation.setMeterProvider(telemetry.meterProvider);
  instrumentation.instrument();
  return { telemetry, instrumentation, require: requireFromTest };
}

export function byName(spans: any[], name: string): any {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}; have: ${spans.map((x) => x.name).join(', ')}`);
  return s;
}

export function allByName(spans: any[], name: string): any[] {
  return spans.filter((x) => x.name === name);
}

export function isChildOf(child: any, parent: any): boolean {
  return parentId(child) === parent.spanContext().spanId;
}

export function sameTrace(a: any, b: any): boolean {
  return a.spanContext().traceId === b.spanContext().traceId;
}
