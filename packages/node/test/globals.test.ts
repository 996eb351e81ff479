import { context, createContextKey, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import { setupTelemetry } from '../src/index.js';

const quiet = {
  traceExporters: ['none' as const],
  instrumentations: { anthropic: false, langchain: false, llamaindex: false },
  esmHook: false,
};

describe('global registration', () => {
  it('keeps (and never disables) a context manager the application registered first', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const handle = setupTelemetry(quiet);
    expect(trace.getTracerProvider()).not.toBe(undefined);
    await handle.shutdown();
    const key = createContextKey('app value');
    context.with(context.active().setValue(key, 42), () => {
      expect(context.active().getValue(key)).toBe(42);
    });
    context.disable();
  });

  it('releases what it registered on shutdown, so a later set-up can register again', async () => {
    const first = setupTelemetry(quiet);
    const tracer = trace.getTracer('t');
    tracer.startActiveSpan('a', (s) => {
      expect(s.isRecording()).toBe(true);
      s.end();
    });
    await first.shutdown();
    const second = setupTelemetry(quiet);
    expect(second).not.toBe(first);
    trace.getTracer('t').startActiveSpan('b', (s) => {
      expect(s.isRecording()).toBe(true);
      s.end();
    });
    await second.shutdown();
  });
});
