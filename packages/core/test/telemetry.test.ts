import { createTestTelemetry } from '@genai-otel/test-utils';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GenAIInstrumentationConfig, GenAITelemetry } from '../src/index.js';

describe('GenAITelemetry', () => {
  let t: ReturnType<typeof createTestTelemetry>;
  let config: GenAIInstrumentationConfig;
  let telemetry: GenAITelemetry;

  beforeEach(() => {
    t = createTestTelemetry();
    config = {};
    telemetry = new GenAITelemetry(
      () => t.tracerProvider.getTracer('test'),
      () => t.meterProvider.getMeter('test'),
      () => config,
      'test',
    );
  });
  afterEach(() => t.shutdown());

  it('names and kinds LLM spans per the conventions and records usage and metrics', async () => {
    const s = telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
    s.setRequest({ temperature: 0.2, maxTokens: 100 }).setResponse({
      id: 'msg_1',
      model: 'claude-x-1',
      finishReasons: ['stop'],
    });
    s.setUsage({ inputTokens: 12, outputTokens: 5 });
    s.end();
    const [span] = t.spans();
    expect(span.name).toBe('chat claude-x');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-x',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
    });
    const metrics = await t.metricsByName();
    const tokens = metrics.get('gen_ai.client.token.usage');
    expect(tokens.descriptor.unit).toBe('{token}');
    const byType = Object.fromEntries(
      tokens.dataPoints.map((d: any) => [d.attributes['gen_ai.token.type'], d.value.sum]),
    );
    expect(byType).toEqual({ input: 12, output: 5 });
    const duration = metrics.get('gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPoints[0].value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
  });

  it('counts a call once when a provider span nests under a framework LLM span', async () => {
    const outer = telemetry.startSpan({ kind: 'LLM', name: 'm' });
    outer.with(() => {
      const inner = telemetry.startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' });
      inner.setUsage({ inputTokens: 10, outputTokens: 3 });
      inner.end();
    });
    outer.setUsage({ inputTokens: 10, outputTokens: 3 });
    outer.end();
    const spans = t.spans();
    const sum = spans.reduce(
      (n: number, s: any) => n + (s.attributes['gen_ai.usage.input_tokens'] ?? 0),
      0,
    );
    expect(sum).toBe(10);
    expect(spans[1].attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    const tokens = (await t.metricsByName()).get('gen_ai.client.token.usage');
    const input = tokens.dataPoints.find((d: any) => d.attributes['gen_ai.token.type'] === 'input');
    expect(input.value.count).toBe(1);
    expect(input.value.sum).toBe(10);
  });

  it('records errors with status, error.type and an exception event', () => {
    const s = telemetry.startSpan({ kind: 'TOOL', name: 'search' });
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    s.recordError(new RateLimitError('slow down'));
    s.end();
    const [span] = t.spans();
    expect(span.name).toBe('execute_tool search');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('RateLimitError');
    expect(span.events[0].name).toBe('exception');
  });

  it('captures content only when enabled, evaluated per call', () => {
    const messages = [
      { role: 'user', parts: [{ type: 'text' as const, content: 'secret prompt' }] },
    ];
    telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(messages).end();
    config.captureContent = true;
    telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(messages).end();
    const [off, on] = t.spans();
    expect(off.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(JSON.parse(on.attributes['gen_ai.input.messages'])).toEqual(messages);
  });
});
