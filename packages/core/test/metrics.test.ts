import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS,
  GenAIMetrics,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  TOKEN_USAGE_BUCKETS,
  withGenAIContext,
} from '../src/index.js';
import { type Harness, harness } from './_helpers.js';

const TOKEN_BOUNDS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BOUNDS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const ALLOWED = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'error.type',
  'gen_ai.token.type',
]);

describe('GenAI client metrics through a real MeterProvider', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.t.shutdown());

  it('a small-number end time (process-relative to the SDK) is not clamped to an epoch start', async () => {
    // Numbers below performance.now() are times since the process started to the SDK: wait
    // until that holds for both, as in any process older than a few seconds.
    while (performance.now() < 4_000) await new Promise((r) => setTimeout(r, 50));
    const s = h.telemetry.startSpan({ kind: 'LLM', name: 'm', startTime: 1_000 });
    s.end(3_500);
    const duration = (await h.t.metricsByName()).get(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration.dataPoints[0].value.sum).toBeCloseTo(2.5, 6);
  });

  it('bucket constants are the conventions advice', () => {
    expect([...TOKEN_USAGE_BUCKETS]).toEqual(TOKEN_BOUNDS);
    expect([...DURATION_BUCKETS]).toEqual(DURATION_BOUNDS);
  });

  it('names, units, descriptions, buckets and exact values', async () => {
    // Epoch times (the SDK reads a number below performance.now() as process-relative time).
    const t0 = Date.now() - 60_000;
    const s = h.telemetry.startSpan({
      kind: 'LLM',
      name: 'claude-x',
      provider: 'anthropic',
      startTime: t0,
    });
    s.setResponse({ model: 'claude-x-2024' });
    s.setUsage({ inputTokens: 100, outputTokens: 20 });
    s.markFirstChunk(t0 + 300);
    s.end(t0 + 2_500);
    const m = await h.t.metricsByName();

    const duration = m.get(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration.descriptor).toMatchObject({
      name: 'gen_ai.client.operation.duration',
      unit: 's',
    });
    expect(duration.dataPoints).toHaveLength(1);
    expect(duration.dataPoints[0].value.sum).toBeCloseTo(2.5, 6);
    expect(duration.dataPoints[0].value.buckets.boundaries).toEqual(DURATION_BOUNDS);

    const tokens = m.get(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(tokens.descriptor).toMatchObject({ name: 'gen_ai.client.token.usage', unit: '{token}' });
    expect(tokens.dataPoints[0].value.buckets.boundaries).toEqual(TOKEN_BOUNDS);
    const byType = Object.fromEntries(
      tokens.dataPoints.map((d: any) => [d.attributes['gen_ai.token.type'], d.value.sum]),
    );
    expect(byType).toEqual({ input: 100, output: 20 });

    const ttfc = m.get(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK);
    expect(ttfc.descriptor).toMatchObject({
      name: 'gen_ai.client.operation.time_to_first_chunk',
      unit: 's',
    });
    expect(ttfc.dataPoints[0].value.sum).toBeCloseTo(0.3, 6);
    expect(ttfc.dataPoints[0].value.buckets.boundaries).toEqual(DURATION_BOUNDS);

    expect(duration.dataPoints[0].attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-x',
      'gen_ai.response.model': 'claude-x-2024',
    });
  });

  it('attributes are limited to the low-cardinality set, whatever the span carries', async () => {
    h.config = { captureContent: true };
    withGenAIContext(
      { userId: 'u-1', sessionId: 's-1', conversationId: 'c-1', metadata: { tenant: 't' } },
      () => {
        const s = h.telemetry.startSpan({
          kind: 'LLM',
          name: 'm',
          provider: 'anthropic',
          attributes: { 'custom.high_cardinality': 'req-123' },
        });
        s.setRequest({ temperature: 0.1, serverAddress: 'localhost', serverPort: 8080 });
        s.setResponse({ id: 'resp-unique', model: 'm', finishReasons: ['stop'] });
        s.setUsage({ inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 1 });
        s.setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]);
        s.recordError(new RangeError('x'));
        s.markFirstChunk();
        s.end();
      },
    );
    const m = await h.t.metricsByName();
    let points = 0;
    for (const metric of m.values()) {
      for (const d of metric.dataPoints) {
        points++;
        for (const key of Object.keys(d.attributes)) expect(ALLOWED.has(key), key).toBe(true);
      }
    }
    expect(points).toBeGreaterThanOrEqual(4);
  });

  it('only model calls (LLM, EMBEDDING) record metrics', async () => {
    for (const kind of ['TOOL', 'RETRIEVER', 'RERANKER', 'AGENT', 'CHAIN'] as const)
      h.telemetry.startSpan({ kind, name: 'x' }).end();
    expect((await h.t.metricsByName()).size).toBe(0);
    h.telemetry
      .startSpan({ kind: 'EMBEDDING', name: 'e', provider: 'openai' })
      .setUsage({ inputTokens: 8 })
      .end();
    const m = await h.t.metricsByName();
    expect(m.get(METRIC_GEN_AI_CLIENT_OPERATION_DURATION).dataPoints[0].attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
    });
    const tokens = m.get(METRIC_GEN_AI_CLIENT_TOKEN_USAGE).dataPoints;
    expect(tokens).toHaveLength(1); // input only: no output tokens reported
    expect(m.get(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK)).toBeUndefined();
  });

  it('ignores invalid values', async () => {
    const metrics = new GenAIMetrics(h.t.meterProvider.getMeter('direct'));
    metrics.recordDuration(Number.NaN, { operation: 'chat' });
    metrics.recordDuration(-1, { operation: 'chat' });
    metrics.recordTokens(-5, Number.POSITIVE_INFINITY, { operation: 'chat' });
    metrics.recordTimeToFirstChunk(Number.NaN, { operation: 'chat' });
    const m = await h.t.metricsByName();
    for (const metric of m.values()) expect(metric.dataPoints).toHaveLength(0);
  });
});

describe('sampled-out spans', () => {
  it('still record metrics once per call, and skip content work', async () => {
    const { traceSdk } = await import('@genai-otel/test-utils');
    let redactCalls = 0;
    const h = harness(
      {
        captureContent: 'SPAN_AND_EVENT',
        semconv: ['gen_ai', 'openinference'],
        redact: (v) => {
          redactCalls++;
          return v;
        },
      },
      { sampler: new (traceSdk().AlwaysOffSampler)() },
    );
    const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' });
    fw.with(() =>
      h.telemetry
        .startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' })
        .setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }])
        .setUsage({ inputTokens: 11, outputTokens: 2 })
        .end(),
    );
    fw.setUsage({ inputTokens: 11, outputTokens: 2 }).end();
    expect(h.t.spans()).toHaveLength(0);
    expect(redactCalls).toBe(0);
    const m = await h.t.metricsByName();
    const input = m
      .get(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)
      .dataPoints.find((d: any) => d.attributes['gen_ai.token.type'] === 'input');
    expect(input.value).toMatchObject({ sum: 11, count: 1 });
    expect(m.get(METRIC_GEN_AI_CLIENT_OPERATION_DURATION).dataPoints[0].value.count).toBe(1);
    await h.t.shutdown();
  });
});
