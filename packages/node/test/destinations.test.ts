/**
 * Several backends at once, against real OTLP/HTTP receivers on 127.0.0.1: per-destination
 * selections decided per trace, attribute routing, whole traces, and isolation between
 * destinations (down, slow, throwing). No wall-clock assertions: waits are on arrivals, and
 * "never blocks" is asserted as ordering (the others' data arrives while a slow one is pending).
 */
import { thresholdForProbability } from '@genai-otel/core';
import {
  installGlobalContext,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
  traceSdk,
  unusedPort,
} from '@genai-otel/test-utils';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDestinationStage,
  type DestinationConfig,
  type DestinationStage,
} from '../src/destinations.js';
import { captureStream } from './helpers.js';

beforeAll(() => installGlobalContext());

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  cleanup.push(() => r.close());
  return r;
}

/** mulberry32, for deterministic trace ids. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seededIds(seed: number) {
  const rand = prng(seed);
  const hex = (n: number) => {
    let s = '';
    while (s.length < n)
      s += Math.floor(rand() * 0x10000000)
        .toString(16)
        .padStart(7, '0');
    return s.slice(0, n);
  };
  return { generateTraceId: () => hex(32), generateSpanId: () => hex(16) };
}

/** A tracer provider (either SDK line) with seeded ids and the routing processor. */
function provider(stage: DestinationStage, seed = 7) {
  const sdk = traceSdk();
  const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
  const p = new Provider({ spanProcessors: [stage.processor], idGenerator: seededIds(seed) });
  cleanup.push(() => p.shutdown());
  return p;
}

interface Emitted {
  traceId: string;
  error: boolean;
  provider: string;
  spans: number;
}

/** Trace i: root `job i` -> chat (provider alternates) -> http; parse; every 5th has an error. */
function emit(tracer: any, n: number, offset = 0): Emitted[] {
  const out: Emitted[] = [];
  for (let k = 0; k < n; k++) {
    const i = k + offset;
    const providerName = i % 2 === 0 ? 'anthropic' : 'openai';
    const error = i % 5 === 0;
    tracer.startActiveSpan(`job ${i}`, (root: any) => {
      tracer.startActiveSpan(`chat m${i}`, { kind: SpanKind.CLIENT }, (chat: any) => {
        chat.setAttributes({
          'gen_ai.provider.name': providerName,
          'gen_ai.request.model': `model-${providerName}`,
        });
        tracer.startSpan('POST', { kind: SpanKind.CLIENT }).end();
        chat.end();
      });
      tracer.startActiveSpan('parse', (s: any) => {
        if (error) {
          s.setStatus({ code: SpanStatusCode.ERROR, message: 'bad output' });
          s.setAttribute('error.type', 'ParseError');
        }
        s.end();
      });
      out.push({ traceId: root.spanContext().traceId, error, provider: providerName, spans: 4 });
      root.end();
    });
  }
  return out;
}

function byTrace(spans: ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const m = new Map<string, ReceivedSpan[]>();
  for (const s of spans) m.set(s.traceId, [...(m.get(s.traceId) ?? []), s]);
  return m;
}

/** Every received trace is whole: 4 spans, one root, children point at spans of the trace. */
function expectWhole(spans: ReceivedSpan[]): void {
  for (const [, list] of byTrace(spans)) {
    expect(list).toHaveLength(4);
    const ids = new Set(list.map((s) => s.spanId));
    expect(list.filter((s) => !s.parentSpanId)).toHaveLength(1);
    for (const s of list) if (s.parentSpanId) expect(ids.has(s.parentSpanId)).toBe(true);
  }
}

const FAST = { scheduledDelayMillis: 20 };
const SAMPLING = { decisionWaitMs: 20, sweepIntervalMs: 10 };

describe('destinations (real OTLP receivers)', () => {
  it('errors-only gets every error trace and nothing else; adaptive keeps its share; console gets all', async () => {
    const alerts = await receiver();
    const tracing = await receiver();
    const stream = captureStream();
    const p = 0.25;
    const configs: DestinationConfig[] = [
      { exporter: 'otlp', endpoint: alerts.url, select: { errorsOnly: true } },
      {
        exporter: 'otlp',
        endpoint: tracing.url,
        protocol: 'http/json',
        select: { adaptive: { minRate: p, maxRate: p } },
      },
      { exporter: 'console', console: { stream }, select: { all: true } },
    ];
    const stage = buildDestinationStage(configs, { batch: FAST, sampling: SAMPLING });
    const tp = provider(stage);
    const emitted = emit(tp.getTracer('t'), 200);
    await tp.forceFlush();

    const errors = emitted.filter((e) => e.error);
    const alertSpans = await alerts.waitForSpans(errors.length * 4);
    expect(new Set(alertSpans.map((s) => s.traceId))).toEqual(
      new Set(errors.map((e) => e.traceId)),
    );
    expect(alertSpans).toHaveLength(errors.length * 4);
    expectWhole(alertSpans);
    for (const s of alertSpans) {
      expect(s.attributes['sampling.reason']).toBe('error');
      expect(s.attributes.SampleRate).toBe(1);
      expect(s.traceState).toBe('ot=th:0');
    }

    // Adaptive: errors plus exactly the successes whose trace-id randomness passes th(p).
    const th = thresholdForProbability(p);
    const expected = emitted.filter((e) => e.error || e.traceId.slice(18) >= th.hex14);
    const tracingSpans = await tracing.waitForSpans(expected.length * 4);
    await tp.forceFlush();
    expect(tracingSpans).toHaveLength(expected.length * 4);
    expect(new Set(tracingSpans.map((s) => s.traceId))).toEqual(
      new Set(expected.map((e) => e.traceId)),
    );
    expectWhole(tracingSpans);
    const successes = emitted.length - errors.length;
    const share = (expected.length - errors.length) / successes;
    expect(share).toBeGreaterThan(p * 0.6);
    expect(share).toBeLessThan(p * 1.4);
    for (const s of tracingSpans.filter((s) => s.attributes['sampling.reason'] === 'baseline')) {
      expect(s.attributes.SampleRate).toBe(4);
      expect(s.traceState).toBe(`ot=th:${th.th}`);
    }

    // Console: every trace printed.
    const text = stream.text();
    for (let i = 0; i < 200; i++) expect(text).toContain(`job ${i} (`);

    const stats = stage.destinations.map((d) => ({ ...d.stage.stats }));
    expect(stats.map((s) => s.name)).toEqual([
      `otlp 127.0.0.1:${alerts.port}`,
      `otlp 127.0.0.1:${tracing.port}`,
      'console',
    ]);
    expect(stats[0]!.exported).toBe(errors.length * 4);
    expect(stats[2]!.exported).toBe(800);
    expect(stage.processor.destinationStats()[0]).toMatchObject({
      tracesKept: errors.length,
      tracesDropped: successes,
    });
  });

  it('routes by span attributes: a destination per provider, errors excluded from one', async () => {
    const anthropic = await receiver();
    const successes = await receiver();
    const stage = buildDestinationStage(
      [
        {
          exporter: 'otlp',
          endpoint: anthropic.url,
          select: { where: { 'gen_ai.provider.name': 'anthropic' } },
        },
        {
          exporter: 'otlp',
          endpoint: successes.url,
          select: { excludeErrors: true, where: { 'gen_ai.request.model': { regex: '^model-' } } },
        },
      ],
      { batch: FAST, sampling: SAMPLING },
    );
    const tp = provider(stage, 11);
    const emitted = emit(tp.getTracer('t'), 40);
    await tp.forceFlush();
    const wantA = emitted.filter((e) => e.provider === 'anthropic');
    const wantS = emitted.filter((e) => !e.error);
    const a = await anthropic.waitForSpans(wantA.length * 4);
    const s = await successes.waitForSpans(wantS.length * 4);
    expect(new Set(a.map((x) => x.traceId))).toEqual(new Set(wantA.map((e) => e.traceId)));
    expect(new Set(s.map((x) => x.traceId))).toEqual(new Set(wantS.map((e) => e.traceId)));
    expect(a).toHaveLength(wantA.length * 4);
    expect(s).toHaveLength(wantS.length * 4);
    expectWhole(a);
    expectWhole(s);
  });

  it('a down backend and one answering after 10 s change nothing for the others, and never block the app', async () => {
    const good = await receiver();
    const slow = await receiver();
    slow.setBehaviour({ kind: 'slow', delayMs: 10_000 });
    const downPort = await unusedPort();
    const stream = captureStream();
    const throwing = {
      export() {
        throw new Error('exporter bug');
      },
      shutdown: async () => {},
    };
    const stage = buildDestinationStage(
      [
        {
          exporter: 'otlp',
          endpoint: `http://127.0.0.1:${downPort}`,
          name: 'down',
          timeoutMillis: 1000,
        },
        {
          exporter: 'otlp',
          endpoint: slow.url,
          name: 'slow',
          timeoutMillis: 30_000,
          batch: { maxQueueSize: 50, maxExportBatchSize: 10, exportTimeoutMillis: 30_000 },
        },
        { exporter: throwing as any, name: 'throwing' },
        { exporter: 'otlp', endpoint: good.url, name: 'good' },
        { exporter: 'console', console: { stream } },
      ],
      { batch: FAST, sampling: SAMPLING },
    );
    const tp = provider(stage, 3);
    const tracer = tp.getTracer('t');

    // First wave: the slow backend receives a request and sits on it.
    const first = emit(tracer, 5);
    await good.waitForSpans(first.length * 4);
    await waitUntil(() => slow.attempts >= 1);

    // Second wave while the slow export is pending: the app's calls return at once (the
    // spans are ended synchronously in emit) and the good backend gets everything again.
    let appDone = false;
    const second = context.with(context.active(), () => emit(tracer, 30, 100));
    appDone = true;
    const all = await good.waitForSpans((first.length + second.length) * 4);
    expect(appDone).toBe(true);
    expect(slow.spans).toHaveLength(0); // still pending: its answer comes after 10 s
    expect(all).toHaveLength((first.length + second.length) * 4);
    expect(new Set(all.map((s) => s.traceId))).toEqual(
      new Set([...first, ...second].map((e) => e.traceId)),
    );
    expectWhole(all);
    for (let i = 100; i < 130; i++) expect(stream.text()).toContain(`job ${i} (`);

    const stats = Object.fromEntries(stage.destinations.map((d) => [d.name, d.stage.stats]));
    await waitUntil(() => stats.good!.exported === 140); // its export callback follows the receipt
    expect(slow.spans).toHaveLength(0);
    expect(stats.good).toMatchObject({
      exported: 140,
      droppedQueueFull: 0,
      droppedExportFailed: 0,
    });
    expect(stats.console).toMatchObject({ exported: 140, droppedQueueFull: 0 });
    // The slow one holds at most its queue plus one batch in flight; the rest is dropped and counted.
    expect(stats.slow!.queued).toBeLessThanOrEqual(50);
    expect(stats.slow!.exported).toBe(0);
    expect(stats.slow!.droppedQueueFull + stats.slow!.queued + 10).toBeGreaterThanOrEqual(140);
    expect(stats.throwing!.exported).toBe(0);
    expect(stats.throwing!.droppedExportFailed).toBe(140);
    // Let the pending request answer (after its 10 s) and the rest drain, for a clean shutdown.
    slow.setBehaviour({ kind: 'ok' });
  });
});

function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not reached'));
      setTimeout(tick, 10);
    };
    tick();
  });
}
