import { type OtlpReceiver, startOtlpReceiver, unusedPort } from '@genai-otel/test-utils';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setupTelemetry } from '../src/index.js';
import type { OtlpProtocol, SetupTelemetryOptions, TelemetryHandle } from '../src/types.js';

let receiver: OtlpReceiver;
let handle: TelemetryHandle | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  await receiver.close();
  vi.unstubAllEnvs();
});

const noInstrumentations = { anthropic: false, langchain: false, llamaindex: false } as const;

function setup(options: SetupTelemetryOptions) {
  handle = setupTelemetry({
    metricExporters: [],
    instrumentations: noInstrumentations,
    esmHook: false,
    ...options,
  });
  return trace.getTracer('otlp-test');
}

/** A small GenAI-shaped trace: root -> (retrieval, chat (error-free), parse (error)). */
function emitTrace(tracer: ReturnType<typeof trace.getTracer>): void {
  const bag = propagation.createBaggage({ 'user.id': { value: 'u-1' }, other: { value: 'x' } });
  context.with(propagation.setBaggage(context.active(), bag), () => {
    tracer.startActiveSpan('query_with_context', (root) => {
      tracer.startActiveSpan('chat claude', { kind: SpanKind.CLIENT }, (s) => {
        s.setAttributes({
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'claude',
          'gen_ai.usage.input_tokens': 12,
          'gen_ai.request.temperature': 0.5,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.request.stream': false,
        });
        s.end();
      });
      tracer.startActiveSpan('parse_response', (s) => {
        s.setStatus({ code: SpanStatusCode.ERROR, message: 'bad' });
        s.end();
      });
      root.end();
    });
  });
}

describe.each<OtlpProtocol>(['http/protobuf', 'http/json'])('OTLP export over %s', (protocol) => {
  it('delivers whole traces with attributes, resource and baggage allowlist', async () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'team=genai,service.namespace=demo');
    const tracer = setup({
      serviceName: 'otlp-svc',
      serviceVersion: '1.2.3',
      environment: 'test',
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url, protocol } }],
    });
    emitTrace(tracer);
    await handle!.forceFlush();
    const spans = await receiver.waitForSpans(3);
    expect(receiver.requests[0]!.encoding).toBe(protocol === 'http/json' ? 'json' : 'protobuf');
    expect(receiver.requests[0]!.path).toBe('/v1/traces');
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const root = byName.query_with_context!;
    const chat = byName['chat claude']!;
    const parse = byName.parse_response!;
    expect(root.parentSpanId).toBeUndefined();
    expect(chat.parentSpanId).toBe(root.spanId);
    expect(parse.parentSpanId).toBe(root.spanId);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(chat.kind).toBe(3); // CLIENT
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.stream': false,
      'user.id': 'u-1',
    });
    expect(chat.attributes.other).toBeUndefined();
    expect(parse.status).toEqual({ code: 2, message: 'bad' });
    expect(root.resource).toMatchObject({
      'service.name': 'otlp-svc',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'deployment.environment': 'test',
      team: 'genai',
      'service.namespace': 'demo',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(handle!.exportStats()[0]).toMatchObject({
      name: 'otlp',
      exported: 3,
      droppedQueueFull: 0,
    });
  });
});

describe('OTLP compression', () => {
  it('sends gzip-compressed protobuf when asked (decoded by the receiver)', async () => {
    const tracer = setup({
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url, compression: 'gzip' } }],
    });
    tracer.startActiveSpan('compressed', (s) => s.end());
    await handle!.forceFlush();
    const [span] = await receiver.waitForSpans(1);
    expect(span!.name).toBe('compressed');
    expect(receiver.requests[0]!.headers['content-encoding']).toBe('gzip');
  });
});

describe('OTLP configuration from the standard variables', () => {
  it('uses OTLP when only OTEL_EXPORTER_OTLP_ENDPOINT is set, with protocol and headers from env', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=secret%20value,x-team=genai');
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env');
    const tracer = setup({});
    tracer.startActiveSpan('env-span', (s) => s.end());
    await handle!.forceFlush();
    const [span] = await receiver.waitForSpans(1);
    expect(span!.name).toBe('env-span');
    expect(span!.resource['service.name']).toBe('from-env');
    expect(receiver.requests[0]!.encoding).toBe('json');
    expect(receiver.requests[0]!.headers['x-api-key']).toBe('secret value');
    expect(receiver.requests[0]!.headers['x-team']).toBe('genai');
  });

  it('sends to several exporters at once', async () => {
    const second = await startOtlpReceiver();
    try {
      const tracer = setup({
        traceExporters: [
          { type: 'otlp', name: 'a', otlp: { endpoint: receiver.url } },
          { type: 'otlp', name: 'b', otlp: { endpoint: second.url, protocol: 'http/json' } },
          'console',
        ],
        console: { stream: { write: () => true } },
      });
      tracer.startActiveSpan('fan-out', (s) => s.end());
      await handle!.forceFlush();
      expect((await receiver.waitForSpans(1))[0]!.name).toBe('fan-out');
      expect((await second.waitForSpans(1))[0]!.name).toBe('fan-out');
      expect(handle!.exportStats().map((s) => [s.name, s.exported])).toEqual([
        ['a', 1],
        ['b', 1],
        ['console', 1],
      ]);
    } finally {
      await second.close();
    }
  });

  it('honours OTEL_TRACES_SAMPLER=always_off and OTEL_SDK_DISABLED', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    let tracer = setup({ traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url } }] });
    tracer.startActiveSpan('never', (s) => s.end());
    await handle!.shutdown();
    expect(handle!.exportStats()[0]!.exported).toBe(0);
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    handle = setupTelemetry({
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url } }],
    });
    expect(handle.enabled).toBe(false);
    tracer = trace.getTracer('x');
    tracer.startActiveSpan('noop', (s) => {
      expect(s.isRecording()).toBe(false);
      s.end();
    });
    expect(receiver.attempts).toBe(0);
  });
});

describe('a backend that is down, hanging or failing', () => {
  it('down (connection refused): the app keeps working, spans are dropped and counted', async () => {
    const port = await unusedPort();
    const tracer = setup({
      traceExporters: [
        { type: 'otlp', otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 300 } },
      ],
      batch: { maxExportBatchSize: 10 },
    });
    let result = 0;
    for (let i = 0; i < 25; i++) {
      result += tracer.startActiveSpan(`op-${i}`, (s) => {
        s.end();
        return 1;
      });
    }
    expect(result).toBe(25);
    await handle!.forceFlush();
    const stats = handle!.exportStats()[0]!;
    expect(stats.exported).toBe(0);
    expect(stats.droppedExportFailed).toBe(25);
    // Three batches' worth, but the flush gave up on the rest of the queue after its first
    // failed export (one batch may have failed before the flush began).
    expect(stats.failedExports).toBeGreaterThanOrEqual(1);
    expect(stats.failedExports).toBeLessThanOrEqual(2);
    expect(stats.queued).toBe(0);
  });

  it('slow (answers late but within the timeout): nothing is lost, the app never waits on it', async () => {
    receiver.setBehaviour({ kind: 'slow', delayMs: 300 });
    const tracer = setup({
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url, timeoutMillis: 5000 } }],
      batch: { maxExportBatchSize: 20, maxQueueSize: 1000 },
    });
    for (let i = 0; i < 100; i++) tracer.startActiveSpan(`op-${i}`, (s) => s.end());
    // All 100 spans ended without waiting for the backend: nothing has been received yet
    // (the receiver shares this event loop), 80 wait in the queue and one batch is in flight.
    expect(receiver.spans).toHaveLength(0);
    expect(handle!.exportStats()[0]!.queued).toBe(80);
    await handle!.forceFlush();
    expect(handle!.exportStats()[0]).toMatchObject({
      exported: 100,
      droppedQueueFull: 0,
      droppedExportFailed: 0,
    });
    expect(receiver.spans).toHaveLength(100);
  });

  it('hanging: memory stays bounded (queue cap), excess spans are dropped and counted, nothing waits forever', async () => {
    receiver.setBehaviour({ kind: 'hang' });
    const tracer = setup({
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url, timeoutMillis: 200 } }],
      batch: { maxQueueSize: 20, maxExportBatchSize: 10, exportTimeoutMillis: 5000 },
    });
    let maxQueued = 0;
    for (let i = 0; i < 500; i++) {
      tracer.startActiveSpan(`op-${i}`, (s) => s.end());
      maxQueued = Math.max(maxQueued, handle!.exportStats()[0]!.queued);
    }
    expect(maxQueued).toBeLessThanOrEqual(20);
    // One batch (10) in flight, 20 queued: everything else was dropped on arrival.
    expect(handle!.exportStats()[0]!.droppedQueueFull).toBe(470);
    await handle!.shutdown();
    const stats = handle!.exportStats()[0]!;
    expect(stats.exported).toBe(0);
    expect(stats.droppedQueueFull + stats.droppedExportFailed).toBe(500);
    // Each batch was tried a bounded number of times (the exporter's timeout covers its retries).
    expect(receiver.attempts).toBeLessThanOrEqual(3 * 5);
  });

  it('failing with 503: retries are bounded, spans counted as dropped, and delivery resumes when it recovers', async () => {
    receiver.setBehaviour({ kind: 'error', status: 503 });
    const tracer = setup({
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url, timeoutMillis: 300 } }],
    });
    tracer.startActiveSpan('lost', (s) => s.end());
    await handle!.forceFlush();
    expect(handle!.exportStats()[0]).toMatchObject({ exported: 0, droppedExportFailed: 1 });
    expect(receiver.attempts).toBeGreaterThanOrEqual(1);
    expect(receiver.attempts).toBeLessThanOrEqual(5);
    receiver.setBehaviour({ kind: 'ok' });
    tracer.startActiveSpan('delivered', (s) => s.end());
    await handle!.forceFlush();
    expect((await receiver.waitForSpans(1)).map((s) => s.name)).toEqual(['delivered']);
  });
});

describe('OTLP metrics', () => {
  it('exports the GenAI metrics and the export counters', async () => {
    const { GenAITelemetry } = await import('@genai-otel/core');
    const { metrics } = await import('@opentelemetry/api');
    const tracer = setup({
      serviceName: 'metrics-svc',
      traceExporters: [{ type: 'otlp', otlp: { endpoint: receiver.url } }],
      metricExporters: ['otlp'],
      otlp: { endpoint: receiver.url },
    });
    const telemetry = new GenAITelemetry(
      () => tracer,
      () => metrics.getMeter('m'),
      () => ({}),
      'test',
    );
    const span = telemetry.startSpan({ kind: 'LLM', name: 'm-1', provider: 'anthropic' });
    span.setUsage({ inputTokens: 3, outputTokens: 4 });
    span.end();
    await handle!.tracerProvider.forceFlush();
    await handle!.meterProvider.forceFlush();
    await receiver.waitForMetric('gen_ai.client.token.usage');
    const names = new Set(receiver.metrics.map((m) => m.name));
    expect(names).toContain('gen_ai.client.operation.duration');
    expect(names).toContain('genai_otel.export.spans.exported');
    expect(receiver.metrics[0]!.resource['service.name']).toBe('metrics-svc');
    expect(
      receiver.requests.some((r) => r.path === '/v1/metrics' && r.encoding === 'protobuf'),
    ).toBe(true);
  });
});
