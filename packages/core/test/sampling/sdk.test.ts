/**
 * End to end with the real OpenTelemetry SDK of the installed line (2.x, or 3.x in the
 * Node 24 run): real spans through the head sampler and the tail processor into an
 * InMemorySpanExporter via the SDK's own Simple/Batch processors.
 */

import {
  batchProcessor,
  createTracerProvider,
  installGlobalContext,
  sdkLine,
  simpleProcessor,
  traceSdk,
} from '@genai-otel/test-utils';
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdaptiveSamplingOptions,
  AdaptiveSamplingSpanProcessor,
  createHeadSampler,
  SAMPLING_DECISION,
} from '../../src/sampling/index.js';
import { FakeClock } from './traffic.js';

beforeAll(() => installGlobalContext());

/** READABLE span fields every exporter may read (SDK 2.x and 3.x `ReadableSpan`). */
const READABLE_FIELDS = [
  'name',
  'kind',
  'parentSpanContext',
  'startTime',
  'endTime',
  'status',
  'links',
  'events',
  'duration',
  'ended',
  'resource',
  'instrumentationScope',
  'droppedAttributesCount',
  'droppedEventsCount',
  'droppedLinksCount',
] as const;

function pipeline(options: Partial<AdaptiveSamplingOptions> = {}, batch = false) {
  const sdk = traceSdk();
  const exporter = new sdk.InMemorySpanExporter();
  const originals: any[] = [];
  // Captures the SDK's own span objects, to compare with what reaches the exporter.
  const capture = {
    onStart() {},
    onEnd(s: any) {
      originals.push(s);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const clock = new FakeClock();
  const processor = new AdaptiveSamplingSpanProcessor({
    next: batch
      ? batchProcessor(exporter, { scheduledDelayMillis: 60_000 })
      : simpleProcessor(exporter),
    clock,
    sweepIntervalMs: 0,
    decisionWaitMs: 0,
    slowThresholdMs: 1000,
    ...options,
  });
  const provider = createTracerProvider({
    spanProcessors: [capture, processor],
    sampler: createHeadSampler({ ratio: 1 }),
  });
  const tracer = provider.getTracer('sampling-e2e');
  /** A root with two children; durations set through explicit start/end times. */
  const run = (name: string, opts: { durationMs?: number; error?: boolean } = {}) => {
    const start = Date.UTC(2026, 0, 1);
    const root = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: start });
    const ctx = trace.setSpan(context.active(), root);
    const llm = tracer.startSpan('chat gpt-4o', { startTime: start + 1 }, ctx);
    if (opts.error) {
      llm.setStatus({ code: SpanStatusCode.ERROR });
      llm.setAttribute('error.type', 'RateLimitError');
    }
    llm.end(start + 2);
    const tool = tracer.startSpan('execute_tool search', { startTime: start + 2 }, ctx);
    tool.end(start + 3);
    root.end(start + (opts.durationMs ?? 10));
    return root.spanContext().traceId;
  };
  return { exporter, originals, processor, provider, run, clock };
}

describe(`AdaptiveSamplingSpanProcessor with the real SDK (line ${sdkLine})`, () => {
  afterAll(() => trace.disable());

  it('exports kept traces with sampling attributes and ot=th, drops the rest', async () => {
    // Baseline probability 0: only errors and slow traces survive, deterministically.
    const { exporter, originals, provider, run } = pipeline({ minRate: 0, maxRate: 0 });
    const errorTrace = run('POST /chat', { error: true });
    const slowTrace = run('POST /chat', { durationMs: 5000 });
    const fastTrace = run('POST /chat');
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const byTrace = (id: string) => spans.filter((s: any) => s.spanContext().traceId === id);
    expect(byTrace(errorTrace)).toHaveLength(3);
    expect(byTrace(slowTrace)).toHaveLength(3);
    expect(byTrace(fastTrace)).toHaveLength(0);
    for (const s of byTrace(errorTrace)) {
      expect(s.attributes['sampling.reason']).toBe('error');
      expect(s.attributes['sampling.adjusted_count']).toBe(1);
      expect(s.attributes.SampleRate).toBe(1);
      expect(s.spanContext().traceState.serialize()).toBe('ot=th:0');
    }
    const slowRoot = byTrace(slowTrace).find((s: any) => s.name === 'POST /chat');
    expect(slowRoot.attributes['sampling.reason']).toBe('slow');
    expect(slowRoot.attributes['sampling.slow']).toBe(true);
    expect(slowRoot.attributes['sampling.latency_threshold_ms']).toBe(1000);
    // The wrapper carries every ReadableSpan field of the SDK span, unchanged.
    for (const s of spans) {
      const original = originals.find((o) => o.spanContext().spanId === s.spanContext().spanId);
      for (const f of READABLE_FIELDS) expect(s[f], f).toEqual(original[f]);
      expect(s.attributes).toMatchObject(original.attributes);
      expect(s.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
      expect(s.spanContext().spanId).toBe(original.spanContext().spanId);
    }
    await provider.shutdown();
  });

  it('keeps baseline traces consistently: exactly those with randomness >= th', async () => {
    const { exporter, provider, run } = pipeline({ minRate: 0.5, maxRate: 0.5 });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(run('GET /'));
    await provider.forceFlush();
    const kept = new Set(exporter.getFinishedSpans().map((s: any) => s.spanContext().traceId));
    for (const id of ids) {
      // th:8 -> keep iff the 56-bit randomness (the last 14 hex digits) >= 0x80000000000000.
      expect(kept.has(id), id).toBe(Number.parseInt(id[18], 16) >= 8);
    }
    expect(kept.size).toBeGreaterThan(60);
    expect(kept.size).toBeLessThan(140);
    for (const s of exporter.getFinishedSpans()) {
      expect(s.spanContext().traceState.get('ot')).toBe('th:8');
      expect(s.attributes['sampling.adjusted_count']).toBe(2);
    }
    await provider.shutdown();
  });

  it('works behind the SDK BatchSpanProcessor: forceFlush and shutdown deliver everything kept', async () => {
    const got: any[] = [];
    const recordingExporter = {
      export(spans: any[], done: (r: { code: number }) => void) {
        got.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => {},
      forceFlush: async () => {},
    };
    const clock = new FakeClock();
    const processor = new AdaptiveSamplingSpanProcessor({
      next: batchProcessor(recordingExporter, { scheduledDelayMillis: 60_000 }),
      clock,
      sweepIntervalMs: 0,
      decisionWaitMs: 60_000,
      minRate: 1,
      maxRate: 1,
    });
    const provider = createTracerProvider({
      spanProcessors: [processor],
      sampler: createHeadSampler(),
    });
    const tracer = provider.getTracer('batch');
    const first = tracer.startSpan('first');
    first.end();
    expect(got).toHaveLength(0); // waiting out decisionWaitMs in the sampler
    await provider.forceFlush();
    expect(got.map((s) => s.name)).toEqual(['first']);
    for (let i = 0; i < 5; i++) tracer.startSpan(`late ${i}`).end();
    await provider.shutdown();
    expect(got.map((s) => s.name)).toEqual([
      'first',
      'late 0',
      'late 1',
      'late 2',
      'late 3',
      'late 4',
    ]);
    for (const s of got) {
      expect(s.attributes['sampling.reason']).toBe('baseline');
      expect(s.spanContext().traceState.get('ot')).toBe('th:0');
    }
  });

  it('annotate mode exports every span and flags the root for a Collector', async () => {
    const { exporter, provider, run } = pipeline({ mode: 'annotate', minRate: 0, maxRate: 0 });
    run('a', { error: true });
    run('b', { durationMs: 5000 });
    run('c');
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(9);
    const roots = spans.filter((s: any) => ['a', 'b', 'c'].includes(s.name));
    expect(
      roots.map((r: any) => [
        r.name,
        r.attributes['sampling.decision'],
        r.attributes['sampling.error'],
        r.attributes['sampling.slow'],
      ]),
    ).toEqual([
      ['a', 'keep', true, false],
      ['b', 'keep', false, true],
      ['c', 'drop', false, false],
    ]);
    // The head sampler's th:0 is left as it is.
    for (const s of spans) expect(s.spanContext().traceState.get('ot')).toBe('th:0');
    await provider.shutdown();
  });
});

describe('createHeadSampler', () => {
  const traceId = (r14: string) => `0123456789abcdef0123${r14.slice(2)}`.padEnd(32, '0');
  const remote = (traceFlags: number, ts?: string) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags,
      isRemote: true,
      traceState: ts ? createTraceState(ts) : undefined,
    });

  it('samples roots by trace id randomness against the ratio threshold and writes ot=th', () => {
    const s = createHeadSampler({ ratio: 0.25 });
    const keep = s.shouldSample(
      ROOT_CONTEXT,
      `${'a'.repeat(18)}c0000000000000`,
      'x',
      SpanKind.INTERNAL,
      {},
      [],
    );
    expect(keep.decision).toBe(SAMPLING_DECISION.RECORD_AND_SAMPLED);
    expect(keep.traceState?.serialize()).toBe('ot=th:c');
    const drop = s.shouldSample(
      ROOT_CONTEXT,
      `${'a'.repeat(18)}bfffffffffffff`,
      'x',
      SpanKind.INTERNAL,
      {},
      [],
    );
    expect(drop.decision).toBe(SAMPLING_DECISION.NOT_RECORD);
    expect(
      createHeadSampler()
        .shouldSample(ROOT_CONTEXT, traceId('00000000000000'), 'x', 0, {}, [])
        .traceState?.get('ot'),
    ).toBe('th:0');
    expect(
      createHeadSampler({ ratio: 0 }).shouldSample(
        ROOT_CONTEXT,
        `${'a'.repeat(18)}ffffffffffffff`,
        'x',
        0,
        {},
        [],
      ).decision,
    ).toBe(SAMPLING_DECISION.NOT_RECORD);
    expect(String(s)).toContain('ratio=0.25');
  });

  it('follows the parent: sampled stays sampled with its th, unsampled is dropped', () => {
    const s = createHeadSampler({ ratio: 0.01 });
    const sampled = s.shouldSample(
      remote(1, 'ot=th:8,v=1'),
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'x',
      0,
      {},
      [],
    );
    expect(sampled.decision).toBe(SAMPLING_DECISION.RECORD_AND_SAMPLED);
    expect(sampled.traceState?.serialize()).toBe('ot=th:8,v=1');
    const unsampled = s.shouldSample(remote(0), '4bf92f3577b34da6a3ce929d0e0e4736', 'x', 0, {}, []);
    expect(unsampled.decision).toBe(SAMPLING_DECISION.NOT_RECORD);
  });

  it('erases an upstream th that the trace randomness contradicts', () => {
    // Randomness 0x0e0e4736... < th:f: the parent could not have sampled this with p = 1/16.
    const s = createHeadSampler();
    const r = s.shouldSample(
      remote(1, 'ot=th:f;rv:00000000000001,v=1'),
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'x',
      0,
      {},
      [],
    );
    expect(r.decision).toBe(SAMPLING_DECISION.RECORD_AND_SAMPLED);
    expect(r.traceState?.get('ot')).toBe('rv:00000000000001');
    expect(r.traceState?.get('v')).toBe('1');
  });

  it('judges every parent on its own trace id and trace state (no verdict carried over)', () => {
    const s = createHeadSampler();
    // One trace state object shared by parents of different traces: the verdict follows each
    // trace's randomness, in any order and repeated.
    const shared = createTraceState('ot=th:8,v=1');
    const parentOf = (id: string, ts = shared) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: id,
        spanId: '00f067aa0ba902b7',
        traceFlags: 1,
        isRemote: true,
        traceState: ts,
      });
    const consistent = `${'a'.repeat(18)}90000000000000`; // randomness >= th:8
    const contradicted = `${'a'.repeat(18)}10000000000000`; // randomness < th:8
    const otFor = (id: string, ts?: ReturnType<typeof createTraceState>) =>
      s.shouldSample(parentOf(id, ts), id, 'x', 0, {}, []).traceState?.get('ot');
    for (let i = 0; i < 2; i++) {
      expect(otFor(consistent)).toBe('th:8');
      expect(otFor(consistent)).toBe('th:8');
      expect(otFor(contradicted)).toBeUndefined();
      expect(otFor(contradicted)).toBeUndefined();
    }
    // Same trace id, another trace state: judged on the new one (a malformed th is erased).
    expect(otFor(consistent, createTraceState('ot=th:zz;rv:00000000000001'))).toBe(
      'rv:00000000000001',
    );
    expect(otFor(consistent, createTraceState('ot=th:c'))).toBeUndefined();
    expect(otFor(consistent)).toBe('th:8');
    // A parent without a trace state: nothing to keep or erase.
    const bare = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: consistent,
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    const r = s.shouldSample(bare, consistent, 'x', 0, {}, []);
    expect(r.decision).toBe(SAMPLING_DECISION.RECORD_AND_SAMPLED);
    expect(r.traceState).toBeUndefined();
  });

  it('honours ot=rv over the trace id for roots', () => {
    const s = createHeadSampler({ ratio: 0.5 });
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '00000000000000000000000000000000',
      spanId: '0000000000000000',
      traceFlags: 0,
      traceState: createTraceState('ot=rv:ffffffffffffff'),
    });
    const r = s.shouldSample(ctx, `${'a'.repeat(18)}00000000000000`, 'x', 0, {}, []);
    expect(r.decision).toBe(SAMPLING_DECISION.RECORD_AND_SAMPLED);
    expect(r.traceState?.get('ot')).toBe('th:8;rv:ffffffffffffff');
  });

  it('child spans inherit the root th through the real SDK', async () => {
    const sdk = traceSdk();
    const exporter = new sdk.InMemorySpanExporter();
    const provider = createTracerProvider({
      spanProcessors: [simpleProcessor(exporter)],
      sampler: createHeadSampler({ ratio: 1 }),
    });
    const tracer = provider.getTracer('head');
    tracer.startActiveSpan('root', (root: any) => {
      tracer.startSpan('child').end();
      root.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    for (const s of spans) expect(s.spanContext().traceState?.serialize()).toBe('ot=th:0');
    await provider.shutdown();
  });
});
