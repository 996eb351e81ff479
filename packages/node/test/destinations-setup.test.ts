/**
 * `setupTelemetry({ destinations })`, its environment-variable forms, the per-destination
 * metrics, and HTTP client spans nesting under the GenAI spans that caused them, against real
 * OTLP receivers and the fake Anthropic API on 127.0.0.1.
 */
import { createRequire } from 'node:module';
import { GENAI_SPAN_KIND, GenAITelemetry } from '@genai-otel/core';
import {
  type FakeAnthropic,
  messageBody,
  metricsSdk,
  type OtlpReceiver,
  type ReceivedSpan,
  startFakeAnthropic,
  startOtlpReceiver,
} from '@genai-otel/test-utils';
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { destinationsFromEnv, parseSelect, parseWhere } from '../src/destinations.js';
import { setupTelemetry } from '../src/index.js';
import type { SetupTelemetryOptions, TelemetryHandle } from '../src/types.js';
import { captureStream } from './helpers.js';

const require = createRequire(import.meta.url);
const noGenAI = { anthropic: false, langchain: false, llamaindex: false } as const;
const FAST = { scheduledDelayMillis: 20 };
const cleanup: Array<() => Promise<unknown>> = [];
let handle: TelemetryHandle | undefined;

afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  for (const fn of cleanup.splice(0)) await fn().catch(() => {});
  vi.unstubAllEnvs();
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  cleanup.push(() => r.close());
  return r;
}

/** A metric reader we collect from on demand (either SDK line). */
function pullReader(): any {
  const msdk = metricsSdk();
  const Base = msdk.MetricReader as new (options: unknown) => object;
  class PullReader extends Base {
    protected async onForceFlush(): Promise<void> {}
    protected async onShutdown(): Promise<void> {}
  }
  return new PullReader({
    aggregationTemporalitySelector: () => msdk.AggregationTemporality.CUMULATIVE,
  });
}

async function points(reader: any, name: string): Promise<Array<{ attributes: any; value: any }>> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const m of scope.metrics) if (m.descriptor.name === name) return m.dataPoints;
  return [];
}

function setup(options: SetupTelemetryOptions) {
  handle = setupTelemetry({
    instrumentations: noGenAI,
    esmHook: false,
    batch: FAST,
    adaptiveSampling: { decisionWaitMs: 20, sweepIntervalMs: 10 },
    ...options,
  });
  return trace.getTracer('destinations-setup');
}

/** `n` traces `job i` (root + chat child); every 4th has an error. */
function emit(tracer: ReturnType<typeof trace.getTracer>, n: number) {
  const out: { traceId: string; error: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    tracer.startActiveSpan(`job ${i}`, (root) => {
      tracer.startActiveSpan('chat m', { kind: SpanKind.CLIENT }, (chat) => {
        chat.setAttribute('gen_ai.provider.name', i % 2 ? 'openai' : 'anthropic');
        if (i % 4 === 0) chat.setStatus({ code: SpanStatusCode.ERROR });
        chat.end();
      });
      out.push({ traceId: root.spanContext().traceId, error: i % 4 === 0 });
      root.end();
    });
  }
  return out;
}

const traceIds = (spans: ReceivedSpan[]) => new Set(spans.map((s) => s.traceId));

describe('setupTelemetry({ destinations })', () => {
  it('the issue example: errors to alerts, a sample to tracing, everything to the console; per-destination metrics', async () => {
    const alerts = await receiver();
    const tracing = await receiver();
    const prodOnly = await receiver();
    const stream = captureStream();
    const reader = pullReader();
    const tracer = setup({
      environment: 'prod',
      metricExporters: [reader],
      destinations: [
        { exporter: 'otlp', endpoint: alerts.url, select: { errorsOnly: true } },
        { exporter: 'otlp', endpoint: tracing.url, select: { adaptive: { maxRate: 0.05 } } },
        { exporter: 'console', console: { stream }, select: { all: true } },
        {
          exporter: 'otlp',
          endpoint: prodOnly.url,
          name: 'prod',
          select: { where: { 'deployment.environment': 'prod', 'gen_ai.provider.name': 'openai' } },
        },
      ],
    });
    const emitted = emit(tracer, 40);
    await handle!.forceFlush();
    const errors = emitted.filter((e) => e.error);
    const openai = emitted.filter((_, i) => i % 2 === 1);
    const a = await alerts.waitForSpans(errors.length * 2);
    expect(traceIds(a)).toEqual(new Set(errors.map((e) => e.traceId)));
    const p = await prodOnly.waitForSpans(openai.length * 2);
    expect(traceIds(p)).toEqual(new Set(openai.map((e) => e.traceId)));
    // The adaptive destination has every error trace (and at most a small share of the rest).
    const t = await tracing.waitForSpans(errors.length * 2);
    for (const e of errors) expect(traceIds(t).has(e.traceId)).toBe(true);
    for (let i = 0; i < 40; i++) expect(stream.text()).toContain(`job ${i} (`);

    const stats = handle!.exportStats();
    expect(stats.map((s) => s.name)).toEqual([
      `otlp 127.0.0.1:${alerts.port}`,
      `otlp 127.0.0.1:${tracing.port}`,
      'console',
      'prod',
    ]);
    expect(stats[2]).toMatchObject({ exported: 80, droppedQueueFull: 0 });
    const exported = await points(reader, 'genai_otel.export.spans.exported');
    const byDest = Object.fromEntries(
      exported.map((d) => [d.attributes['genai_otel.destination'], d.value]),
    );
    expect(byDest.console).toBe(80);
    expect(byDest[`otlp 127.0.0.1:${alerts.port}`]).toBe(errors.length * 2);
    const dropped = await points(reader, 'genai_otel.export.spans.dropped');
    expect(dropped.filter((d) => d.attributes['genai_otel.destination'] === 'prod')).toHaveLength(
      2,
    );
    const selection = await points(reader, 'genai_otel.sampling.destination.traces');
    const alertsKept = selection.find(
      (d) =>
        d.attributes['genai_otel.destination'] === `otlp 127.0.0.1:${alerts.port}` &&
        d.attributes['sampling.decision'] === 'kept',
    );
    expect(alertsKept?.value).toBe(errors.length);
  });

  it('reads the indexed environment variables', async () => {
    const alerts = await receiver();
    const all = await receiver();
    vi.stubEnv('GENAI_OTEL_DESTINATION_0_ENDPOINT', alerts.url);
    vi.stubEnv('GENAI_OTEL_DESTINATION_0_SELECT', 'errors');
    vi.stubEnv('GENAI_OTEL_DESTINATION_0_NAME', 'alerts');
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_EXPORTER', 'otlp');
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_ENDPOINT', all.url);
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_PROTOCOL', 'http/json');
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_WHERE', 'gen_ai.provider.name=anthropic');
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_EXCLUDE_ERRORS', 'true');
    const tracer = setup({});
    const emitted = emit(tracer, 12);
    await handle!.forceFlush();
    const errors = emitted.filter((e) => e.error);
    const okAnthropic = emitted.filter((e, i) => !e.error && i % 2 === 0);
    expect(traceIds(await alerts.waitForSpans(errors.length * 2))).toEqual(
      new Set(errors.map((e) => e.traceId)),
    );
    expect(traceIds(await all.waitForSpans(okAnthropic.length * 2))).toEqual(
      new Set(okAnthropic.map((e) => e.traceId)),
    );
    expect(all.requests[0]!.encoding).toBe('json');
    expect(handle!.exportStats().map((s) => s.name)).toEqual([
      'alerts',
      `otlp 127.0.0.1:${all.port}`,
    ]);
  });
});

describe('an immediate destination (all:immediate)', () => {
  it('gets each span as it ends, while the other destinations wait for the decision', async () => {
    const live = await receiver();
    const alerts = await receiver();
    vi.stubEnv('GENAI_OTEL_DESTINATION_0_ENDPOINT', live.url);
    vi.stubEnv('GENAI_OTEL_DESTINATION_0_SELECT', 'all:immediate');
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_ENDPOINT', alerts.url);
    vi.stubEnv('GENAI_OTEL_DESTINATION_1_SELECT', 'errors');
    const tracer = setup({});
    const root = tracer.startSpan('long agent run');
    const ctx = trace.setSpan(context.active(), root);
    const step = tracer.startSpan('chat m', { kind: SpanKind.CLIENT }, ctx);
    step.setStatus({ code: SpanStatusCode.ERROR });
    step.end();
    // The root is still running: the immediate destination has the step already.
    const early = await live.waitForSpans(1);
    expect(early.map((s) => s.name)).toEqual(['chat m']);
    expect(alerts.spans).toHaveLength(0);
    root.end();
    await handle!.forceFlush();
    expect((await alerts.waitForSpans(2)).map((s) => s.name).sort()).toEqual([
      'chat m',
      'long agent run',
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(live.spans.map((s) => s.name).sort()).toEqual(['chat m', 'long agent run']);
  });
});

describe('destinations with adaptive sampling on', () => {
  it('a destination without select samples adaptively (here: baseline probability 0, so errors only)', async () => {
    const r = await receiver();
    const tracer = setup({
      adaptiveSampling: { decisionWaitMs: 20, sweepIntervalMs: 10, minRate: 0, maxRate: 0 },
      destinations: [{ exporter: 'otlp', endpoint: r.url }],
    });
    const emitted = emit(tracer, 12);
    await handle!.forceFlush(); // decides every trace and waits for the exports
    const errors = emitted.filter((e) => e.error);
    expect(r.spans).toHaveLength(errors.length * 2);
    expect(traceIds(r.spans)).toEqual(new Set(errors.map((e) => e.traceId)));
    for (const s of r.spans) expect(s.attributes['sampling.reason']).toBe('error');
  });
});

describe('destination environment variables', () => {
  it('GENAI_OTEL_DESTINATIONS (JSON) wins and is validated', () => {
    const parsed = destinationsFromEnv({
      GENAI_OTEL_DESTINATIONS: JSON.stringify([
        { exporter: 'otlp', endpoint: 'http://alerts:4318', select: { errorsOnly: true } },
        { exporter: 'bogus' },
        { exporter: 'console' },
      ]),
      GENAI_OTEL_DESTINATION_0_ENDPOINT: 'http://ignored:4318',
    });
    expect(parsed).toEqual([
      { exporter: 'otlp', endpoint: 'http://alerts:4318', select: { errorsOnly: true } },
      { exporter: 'console' },
    ]);
    expect(destinationsFromEnv({ GENAI_OTEL_DESTINATIONS: '[not json' })).toBeUndefined();
    expect(destinationsFromEnv({})).toBeUndefined();
  });

  it('indexed form: fields, numeric order, selections and conditions', () => {
    expect(
      destinationsFromEnv({
        GENAI_OTEL_DESTINATION_10_EXPORTER: 'console',
        GENAI_OTEL_DESTINATION_2_ENDPOINT: 'http://jaeger:4318',
        GENAI_OTEL_DESTINATION_2_HEADERS: 'x-api-key=abc,x-team=genai',
        GENAI_OTEL_DESTINATION_2_SELECT: 'adaptive:maxRate=0.05,targetTracesPerSecond=2',
        GENAI_OTEL_DESTINATION_2_COMPRESSION: 'gzip',
        GENAI_OTEL_DESTINATION_2_TIMEOUT: '5000',
      }),
    ).toEqual([
      {
        exporter: 'otlp',
        endpoint: 'http://jaeger:4318',
        headers: { 'x-api-key': 'abc', 'x-team': 'genai' },
        compression: 'gzip',
        timeoutMillis: 5000,
        select: { adaptive: { maxRate: 0.05, targetTracesPerSecond: 2 } },
      },
      { exporter: 'console' },
    ]);
    expect(parseSelect('all')).toEqual({ all: true });
    expect(parseSelect('all:immediate')).toEqual({ all: true, immediate: true });
    expect(parseSelect('errors')).toEqual({ errorsOnly: true });
    expect(parseSelect('sometimes')).toBeUndefined();
    expect(
      parseWhere(
        'gen_ai.provider.name=anthropic,deployment.environment=prod|staging,m~=^claude,x=*,!y',
      ),
    ).toEqual({
      'gen_ai.provider.name': 'anthropic',
      'deployment.environment': ['prod', 'staging'],
      m: { regex: '^claude' },
      x: { exists: true },
      y: { exists: false },
    });
  });
});

describe('HTTP client spans', () => {
  let api: FakeAnthropic;
  afterEach(async () => {
    await api?.close();
  });

  it('nest under the Anthropic span and a GenAI tool span that made them; exports are not traced', async () => {
    api = await startFakeAnthropic();
    api.enqueue({ kind: 'json', body: messageBody({ model: 'claude-test' }) });
    const otlp = await receiver();
    const tracer = setup({
      instrumentations: { anthropic: true, langchain: false, llamaindex: false },
      destinations: [{ exporter: 'otlp', endpoint: otlp.url, select: { all: true } }],
    });
    // Loaded after set-up, as an application would.
    const sdk = require('@anthropic-ai/sdk');
    const Anthropic = sdk.default ?? sdk.Anthropic ?? sdk;
    const anthropicInstrumentation = handle!.instrumentations[0] as any;
    anthropicInstrumentation.manuallyInstrument?.(sdk);
    const http = require('node:http') as typeof import('node:http');
    const client = new Anthropic({ apiKey: 'k', baseURL: api.url, maxRetries: 0 });
    const telemetry = new GenAITelemetry(
      () => trace.getTracer('tools'),
      () => metrics.getMeter('tools'),
      () => ({}),
      'test',
    );

    await tracer.startActiveSpan('handle_request', async (root) => {
      await client.messages.create({
        model: 'claude-test',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const tool = telemetry.startSpan({ kind: GENAI_SPAN_KIND.TOOL, name: 'lookup' });
      await tool.with(async () => {
        await new Promise<void>((resolve, reject) => {
          http
            .get(`${api.url}/v1/models`, (res) => {
              res.resume();
              res.on('end', () => resolve());
            })
            .on('error', reject);
        });
      });
      tool.end();
      root.end();
    });
    await handle!.forceFlush();
    const spans = await otlp.waitForSpans(5).catch((err) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(handle!.exportStats())} got ${otlp.spans.map((s) => `${s.name}<${s.scope.name}`).join(', ')}`,
      );
    });
    await handle!.forceFlush();
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const root = byName('handle_request')[0]!;
    const chat = byName('chat claude-test')[0]!;
    const tool = byName('execute_tool lookup')[0]!;
    const posts = spans.filter((s) => s.kind === 3 && s.name === 'POST');
    const gets = spans.filter((s) => s.kind === 3 && s.name === 'GET');
    expect(chat.parentSpanId).toBe(root.spanId);
    expect(tool.parentSpanId).toBe(root.spanId);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.parentSpanId).toBe(chat.spanId);
    expect(posts[0]!.scope.name).toBe('@opentelemetry/instrumentation-undici');
    expect(String(posts[0]!.attributes['url.full'])).toContain('/v1/messages');
    expect(gets).toHaveLength(1);
    expect(gets[0]!.parentSpanId).toBe(tool.spanId);
    expect(gets[0]!.scope.name).toBe('@opentelemetry/instrumentation-http');
    // The exporter's own requests to the receiver were not traced.
    expect(
      spans.filter((s) => String(s.attributes['url.full'] ?? '').includes('/v1/traces')),
    ).toEqual([]);
    expect(spans).toHaveLength(5);
    // No API key recorded on HTTP spans.
    for (const s of [...posts, ...gets]) expect(JSON.stringify(s.attributes)).not.toContain('"k"');
  });

  it('can be switched off', () => {
    handle = setupTelemetry({
      instrumentations: noGenAI,
      esmHook: false,
      traceExporters: ['none'],
      httpInstrumentation: false,
    });
    expect(handle.instrumentations).toEqual([]);
  });

  it('can be switched off per instrumentation from the environment', () => {
    vi.stubEnv('OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'undici');
    handle = setupTelemetry({
      instrumentations: noGenAI,
      esmHook: false,
      traceExporters: ['none'],
    });
    expect(handle.instrumentations.map((i) => i.instrumentationName)).toEqual([
      '@opentelemetry/instrumentation-http',
    ]);
  });
});
