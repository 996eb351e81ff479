import { SpanStatusCode, trace } from '@opentelemetry/api';
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
