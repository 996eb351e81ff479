import { withGenAIContext } from '@genai-otel/core';
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setupTelemetry } from '../src/index.js';
import { TreeSpanExporter } from '../src/tree-exporter.js';
import type { TelemetryHandle } from '../src/types.js';
import { captureStream } from './helpers.js';

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  vi.unstubAllEnvs();
});

function setup(stream = captureStream(), extra: Parameters<typeof setupTelemetry>[0] = {}) {
  handle = setupTelemetry({
    serviceName: 'tree-test',
    traceExporters: ['console'],
    metricExporters: [],
    console: { stream },
    instrumentations: { anthropic: false, langchain: false, llamaindex: false },
    esmHook: false,
    ...extra,
  });
  return { stream, tracer: trace.getTracer('test') };
}

describe('console tree exporter', () => {
  it('prints each finished trace as a tree with models, tokens and errors, when its root ends', async () => {
    const { stream, tracer } = setup();
    tracer.startActiveSpan('query_with_context', (root) => {
      tracer.startActiveSpan('assemble_context', (s) => s.end());
      tracer.startActiveSpan('chat claude-sonnet-4', (s) => {
        s.setAttributes({
          'gen_ai.request.model': 'claude-sonnet-4',
          'gen_ai.usage.input_tokens': 1204,
          'gen_ai.usage.output_tokens': 312,
          'gen_ai.usage.cache_read.input_tokens': 1000,
        });
        tracer.startActiveSpan('retrieval docs', (r) => {
          r.setAttribute('genai_otel.retrieval.document_count', 3);
          r.end();
        });
        s.end();
      });
      tracer.startActiveSpan('parse_response', (s) => {
        s.setAttribute('error.type', 'SyntaxError');
        s.setStatus({ code: SpanStatusCode.ERROR, message: 'Unexpected token' });
        s.end();
      });
      // Nothing printed before the root ends.
      expect(stream.text()).toBe('');
      root.end();
    });
    const lines = stream
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/\(\d+(\.\d+)? (ms|s)\)/, '(T)'));
    expect(lines).toEqual([
      'query_with_context (T)',
      '├─ assemble_context (T)',
      '├─ chat claude-sonnet-4 (T) in 1,204 / out 312 tokens (cache read 1,000)',
      '│  └─ retrieval docs (T) 3 docs',
      '└─ parse_response (T) ✗ SyntaxError: Unexpected token',
    ]);
  });

  it('shows the model when the span name does not carry it, and keeps traces apart', () => {
    const { stream, tracer } = setup();
    tracer.startActiveSpan('one', (root) => {
      tracer.startActiveSpan('llm', (s) => {
        s.setAttribute('gen_ai.request.model', 'm-1');
        s.end();
      });
      root.end();
    });
    tracer.startActiveSpan('two', (root) => root.end());
    const text = stream.text();
    expect(text).toMatch(/^one \(.+\)\n└─ llm \(.+\) model m-1\n\ntwo \(.+\)\n\n$/);
  });

  it('labels late spans (ended after their root) instead of dropping them', () => {
    const { stream, tracer } = setup();
    let late: ReturnType<typeof tracer.startSpan> | undefined;
    tracer.startActiveSpan('root', (root) => {
      late = tracer.startSpan('background');
      root.end();
    });
    late!.end();
    expect(stream.text()).toMatch(/↳ late span in "root": background \(/);
  });

  it('prints traces that never completed on flush, and stays bounded while waiting', async () => {
    const stream = captureStream();
    const exporter = new TreeSpanExporter({ stream, maxPendingTraces: 2, maxSpansPerTrace: 2 });
    const { tracer } = setup(captureStream(), { traceExporters: [exporter] });
    const roots = [1, 2, 3].map((i) => tracer.startSpan(`root-${i}`));
    for (const [i, root] of roots.entries()) {
      const ctx = trace.setSpan(context.active(), root);
      for (let j = 0; j < 3; j++) tracer.startSpan(`child-${i + 1}.${j}`, {}, ctx).end();
    }
    await handle!.forceFlush();
    const text = stream.text();
    // Three traces waiting, room for two: the oldest was printed early, incomplete.
    expect(text.indexOf('child-1.0')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('… 1 more spans omitted');
    expect(text).toContain('(parent not ended)');
    for (const r of roots) r.end();
  });

  it('copies only allowlisted baggage entries and withGenAIContext values onto spans', async () => {
    const stream = captureStream();
    const { tracer } = setup(stream, {
      baggageKeys: ['user_id', 'request_id'],
      console: { stream, attributes: ['user_id', 'request_id', 'secret', 'session.id'] },
    });
    const bag = propagation.createBaggage({
      user_id: { value: 'u-42' },
      request_id: { value: 'r-1' },
      secret: { value: 'nope' },
    });
    context.with(propagation.setBaggage(context.active(), bag), () => {
      withGenAIContext({ sessionId: 's-9' }, () => {
        tracer.startActiveSpan('request', (s) => s.end());
      });
    });
    expect(stream.text()).toMatch(/request \(.+\) user_id=u-42 request_id=r-1 session.id=s-9/);
    expect(stream.text()).not.toContain('secret');
  });

  it('takes the baggage allowlist from GENAI_OTEL_BAGGAGE_KEYS', () => {
    vi.stubEnv('GENAI_OTEL_BAGGAGE_KEYS', 'tenant, user.id');
    const stream = captureStream();
    const { tracer } = setup(stream, {
      console: { stream, attributes: ['tenant', 'user.id', 'x'] },
    });
    const bag = propagation.createBaggage({
      tenant: { value: 'acme' },
      'user.id': { value: 'u' },
      x: { value: 'y' },
    });
    context.with(propagation.setBaggage(context.active(), bag), () => {
      tracer.startActiveSpan('req', (s) => s.end());
    });
    expect(stream.text()).toMatch(/^req \(.+\) tenant=acme user\.id=u\n/);
  });

  it('bounds the spans held while waiting: total span cap and wait time', () => {
    const stream = captureStream();
    const exporter = new TreeSpanExporter({ stream, maxPendingSpans: 3, maxTraceWaitMillis: 0 });
    const { tracer } = setup(captureStream(), { traceExporters: [exporter] });
    const root = tracer.startSpan('long-running');
    const ctx = trace.setSpan(context.active(), root);
    tracer.startSpan('step-1', {}, ctx).end();
    // With no wait allowed, the waiting trace is printed as soon as a newer span arrives.
    tracer.startSpan('step-2', {}, ctx).end();
    expect(stream.text()).toContain('step-1');
    expect(stream.text()).toContain('(parent not ended)');
    root.end();
  });
});
