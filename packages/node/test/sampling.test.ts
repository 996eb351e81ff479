import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setupTelemetry } from '../src/index.js';
import type { SetupTelemetryOptions, TelemetryHandle } from '../src/types.js';
import { captureStream } from './helpers.js';

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  vi.unstubAllEnvs();
});

function run(options: SetupTelemetryOptions) {
  const stream = captureStream();
  handle = setupTelemetry({
    traceExporters: ['console'],
    console: { stream, attributes: ['sampling.reason'] },
    instrumentations: { anthropic: false, langchain: false, llamaindex: false },
    esmHook: false,
    ...options,
  });
  const tracer = trace.getTracer('sampling-test');
  for (let i = 0; i < 20; i++) {
    tracer.startActiveSpan(`ok-${i}`, (root) => {
      tracer.startActiveSpan('child', (c) => c.end());
      root.end();
    });
  }
  tracer.startActiveSpan('failing', (root) => {
    tracer.startActiveSpan('chat m', (c) => {
      c.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded' });
      c.setAttribute('error.type', 'overloaded_error');
      c.end();
    });
    root.end();
  });
  return stream;
}

// Baseline probability 0: only the error trace can be kept; decisions are taken on flush.
const strict = {
  minRate: 0,
  maxRate: 0,
  decisionWaitMs: 0,
  sweepIntervalMs: 0,
  slowThresholdMs: 600_000,
};

describe('adaptive tail sampling (core) wired by setupTelemetry', () => {
  it('keeps the whole error trace and drops fast successful ones', async () => {
    const stream = run({ adaptiveSampling: strict });
    await handle!.forceFlush();
    const text = stream.text();
    expect(text).toMatch(
      /^failing \(.+\) sampling\.reason=error\n└─ chat m \(.+\) sampling\.reason=error ✗ overloaded_error: overloaded\n\n$/,
    );
    expect(text).not.toContain('ok-');
  });

  it('is turned on by OTEL_TRACES_SAMPLER=genai_adaptive with GENAI_OTEL_SAMPLING_* settings', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'genai_adaptive');
    vi.stubEnv('GENAI_OTEL_SAMPLING_MIN_RATE', '0');
    vi.stubEnv('GENAI_OTEL_SAMPLING_MAX_RATE', '0');
    vi.stubEnv('GENAI_OTEL_SAMPLING_DECISION_WAIT_MS', '0');
    const stream = run({});
    await handle!.forceFlush();
    expect(stream.text()).toContain('failing');
    expect(stream.text()).not.toContain('ok-');
  });

  it('adaptiveSampling: false wins over the environment; everything is printed', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'genai_adaptive');
    const stream = run({ adaptiveSampling: false });
    await handle!.forceFlush();
    expect(stream.text().match(/^ok-\d+ /gm)).toHaveLength(20);
  });
});

describe('standard head samplers and W3C propagation', () => {
  it('parentbased_traceidratio: drops new roots at ratio 0 but follows a sampled remote parent and its baggage', async () => {
    const stream = captureStream();
    handle = setupTelemetry({
      traceExporters: ['console'],
      console: { stream, rootAttributes: ['user.id'] },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0,
      instrumentations: { anthropic: false, langchain: false, llamaindex: false },
      esmHook: false,
    });
    const tracer = trace.getTracer('head');
    tracer.startActiveSpan('local-root', (s) => {
      expect(s.isRecording()).toBe(false);
      s.end();
    });
    const carrier = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      baggage: 'user.id=u-remote,other=x',
    };
    const remote = propagation.extract(context.active(), carrier);
    context.with(remote, () => {
      tracer.startActiveSpan('handle-incoming', (s) => {
        expect(s.isRecording()).toBe(true);
        expect(s.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
        // Outgoing calls carry the same trace and baggage.
        const out: Record<string, string> = {};
        propagation.inject(context.active(), out);
        expect(out.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
        expect(out.baggage).toContain('user.id=u-remote');
        s.end();
      });
    });
    await handle.forceFlush();
    expect(stream.text()).toMatch(/^handle-incoming \(.+\) user\.id=u-remote\n\n$/);
  });
});
