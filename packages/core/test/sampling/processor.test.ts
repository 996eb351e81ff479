/**
 * Behaviour of AdaptiveSamplingSpanProcessor with fake spans and a fake clock (no timing).
 */

import { createTestTelemetry } from '@genai-otel/test-utils';
import { createTraceState } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  type AdaptiveSamplingOptions,
  AdaptiveSamplingSpanProcessor,
} from '../../src/sampling/index.js';
import {
  counterTraceId,
  FakeClock,
  type FakeSpan,
  LightSpan,
  makeSpan,
  prng,
  RecordingSink,
} from './traffic.js';

const rand = prng(99);
const hex = (n: number) =>
  Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
/** A trace id whose low 56 bits are all ones (passes any baseline threshold) or zeros. */
const lucky = () => `${hex(18)}ffffffffffffff`;
const unlucky = () => `${hex(18)}00000000000000`;
/** Internal: whether a value of the processor's trace map is a buffer (not a decision). */
const isBuffer = (v: any) => v !== undefined && typeof v.spanCount === 'number';

function setup(options: Partial<AdaptiveSamplingOptions> = {}) {
  const clock = new FakeClock();
  const forwarded: any[] = [];
  const sink = new RecordingSink((s) => forwarded.push(s));
  const processor = new AdaptiveSamplingSpanProcessor({
    next: sink,
    clock,
    sweepIntervalMs: 0,
    decisionWaitMs: 100,
    minRate: 0.05,
    maxRate: 0.05,
    ...options,
  });
  return { clock, sink, processor, forwarded };
}

/** A root with `n` children, all started now; returns them unended (call end()). */
function trace(
  p: AdaptiveSamplingSpanProcessor,
  clock: FakeClock,
  args: {
    traceId?: string;
    children?: number;
    durationMs?: number;
    error?: boolean;
    traceState?: any;
  } = {},
) {
  const traceId = args.traceId ?? lucky();
  const rootId = hex(16);
  const t0 = clock.t;
  const d = args.durationMs ?? 100;
  const root = makeSpan({
    traceId,
    spanId: rootId,
    name: 'invoke_agent a',
    startMs: t0,
    endMs: t0 + d,
    traceState: args.traceState,
  });
  const children: FakeSpan[] = [];
  p.onStart(root, {} as any);
  for (let i = 0; i < (args.children ?? 2); i++) {
    const c = makeSpan({
      traceId,
      spanId: hex(16),
      parentSpanId: rootId,
      name: `chat ${i}`,
      startMs: t0,
      endMs: t0 + d / 2,
      error: args.error && i === 0 ? 'status' : undefined,
      traceState: args.traceState,
    });
    p.onStart(c, {} as any);
    children.push(c);
  }
  return {
    traceId,
    root,
    children,
    endAll() {
      for (const c of children) p.onEnd(c);
      p.onEnd(root);
    },
  };
}

describe('AdaptiveSamplingSpanProcessor', () => {
  it('waits decisionWaitMs after the local root ends, then forwards with reason, count and th', () => {
    const { clock, sink, processor, forwarded } = setup();
    const t = trace(processor, clock);
    t.endAll();
    expect(forwarded).toHaveLength(0);
    clock.t += 99;
    processor.sweepNow();
    expect(forwarded).toHaveLength(0);
    clock.t += 1;
    processor.sweepNow();
    expect(forwarded).toHaveLength(3);
    for (const s of forwarded) {
      expect(s.attributes['sampling.reason']).toBe('baseline');
      expect(s.attributes['sampling.adjusted_count']).toBeCloseTo(20, 4);
      expect(s.attributes.SampleRate).toBe(20);
      expect(s.spanContext().traceState.serialize()).toBe('ot=th:f33333');
      expect(s.spanContext().traceId).toBe(t.traceId);
    }
    const root = forwarded.find((s) => s.name === 'invoke_agent a');
    expect(root.attributes['sampling.key']).toBe('invoke_agent a||');
    expect(root.attributes['sampling.slow']).toBe(false);
    expect(sink.traces.get(t.traceId)?.spans).toBe(3);
  });

  it('drops fast, successful traces whose randomness is below the threshold', () => {
    const { clock, processor, forwarded } = setup();
    trace(processor, clock, { traceId: unlucky() }).endAll();
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded).toHaveLength(0);
    expect(processor.stats().tracesDropped).toBe(1);
    expect(processor.stats().spansDropped).toBe(3);
  });

  it('keeps error traces (status ERROR or error.type) with th:0 and adjusted count 1', () => {
    const { clock, processor, forwarded } = setup();
    trace(processor, clock, { traceId: unlucky(), error: true }).endAll();
    const t2 = trace(processor, clock, { traceId: unlucky() });
    t2.children[1].attributes['error.type'] = 'timeout';
    t2.endAll();
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded).toHaveLength(6);
    for (const s of forwarded) {
      expect(s.attributes['sampling.reason']).toBe('error');
      expect(s.attributes['sampling.adjusted_count']).toBe(1);
      expect(s.spanContext().traceState.get('ot')).toBe('th:0');
    }
    expect(forwarded.filter((s) => s.attributes['sampling.error'] === true)).toHaveLength(2);
  });

  it('keeps slow traces: fixed threshold while warming up, running quantile after', () => {
    const { clock, processor, forwarded } = setup({ slowThresholdMs: 500, latencyMinSamples: 200 });
    trace(processor, clock, { traceId: unlucky(), durationMs: 501 }).endAll();
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded[0]?.attributes['sampling.reason']).toBe('slow');
    forwarded.length = 0;
    // Warm the sketch with constant 100 ms traces: none of them counts as slow...
    for (let i = 0; i < 300; i++) {
      trace(processor, clock, { traceId: unlucky(), durationMs: 100 }).endAll();
      clock.t += 10;
    }
    // ...while 300 ms, below the fixed 500 ms fallback, is now far above the running p99.
    trace(processor, clock, { traceId: unlucky(), durationMs: 300 }).endAll();
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded).toHaveLength(3);
    const root = forwarded.find((s) => !s.parentSpanContext);
    expect(root.attributes['sampling.reason']).toBe('slow');
    expect(root.attributes['sampling.slow']).toBe(true);
    expect(root.attributes['sampling.latency_threshold_ms']).toBeGreaterThan(100);
    expect(root.attributes['sampling.latency_threshold_ms']).toBeLessThan(103);
    expect(processor.stats().tracesKept.slow).toBe(2);
  });

  it('sends late spans after the decision: kept with the same stamp, dropped, or rescued by an error', () => {
    const { clock, processor, forwarded } = setup();
    const kept = trace(processor, clock, { children: 3 });
    const dropped = trace(processor, clock, { traceId: unlucky(), children: 3 });
    // One child of each outlives the decision.
    kept.children[0] && processor.onEnd(kept.children[0]);
    processor.onEnd(kept.root);
    processor.onEnd(dropped.children[0]);
    processor.onEnd(dropped.root);
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded).toHaveLength(2);
    processor.onEnd(kept.children[1]);
    expect(forwarded).toHaveLength(3);
    expect(forwarded[2].attributes['sampling.reason']).toBe('baseline');
    expect(forwarded[2].spanContext().traceState.get('ot')).toBe('th:f33333');
    processor.onEnd(dropped.children[1]);
    expect(forwarded).toHaveLength(3);
    dropped.children[2].status.code = 2;
    processor.onEnd(dropped.children[2]);
    expect(forwarded).toHaveLength(4);
    expect(forwarded[3].attributes['sampling.reason']).toBe('error');
    expect(forwarded[3].attributes['sampling.incomplete']).toBe(true);
    const s = processor.stats();
    expect(s.lateSpansKept).toBe(2);
    expect(s.lateSpansDropped).toBe(1);
  });

  it('decides a trace still open after maxTraceDurationMs as slow and incomplete', () => {
    const { clock, processor, forwarded } = setup({ maxTraceDurationMs: 60_000 });
    const t = trace(processor, clock, { traceId: unlucky(), children: 2 });
    processor.onEnd(t.children[0]);
    clock.t += 59_999;
    processor.sweepNow();
    expect(forwarded).toHaveLength(0);
    clock.t += 1;
    processor.sweepNow();
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0].attributes['sampling.reason']).toBe('slow');
    expect(forwarded[0].attributes['sampling.incomplete']).toBe(true);
    expect(processor.stats().forcedDecisions.max_trace_duration).toBe(1);
    processor.onEnd(t.root); // late root follows the decision
    expect(forwarded).toHaveLength(2);
  });

  it('decides early at maxSpansPerTrace and marks the decision overflow when kept by probability', () => {
    const { clock, processor, forwarded } = setup({ maxSpansPerTrace: 5 });
    const t = trace(processor, clock, { children: 8 });
    for (const c of t.children) processor.onEnd(c);
    expect(forwarded).toHaveLength(8); // 5 decided at once, 3 more as late spans
    expect(forwarded[0].attributes['sampling.reason']).toBe('overflow');
    expect(forwarded[0].attributes['sampling.incomplete']).toBe(true);
    expect(processor.stats().forcedDecisions.max_spans_per_trace).toBe(1);
    expect(processor.stats().bufferedSpans).toBe(0);
  });

  it('bounds memory at 1M spans with a slow consumer, deciding early instead of growing', {
    timeout: 300_000,
  }, async () => {
    const maxBufferedTraces = 1000;
    const maxBufferedSpans = 6000;
    const maxSpansPerTrace = 100;
    const clock = new FakeClock();
    // A slow consumer: like a BatchSpanProcessor whose exporter never catches up, it holds
    // at most 2048 spans and drops (counting) the rest.
    let queued = 0;
    let consumerDropped = 0;
    let received = 0;
    const slow = {
      onStart() {},
      onEnd() {
        received++;
        if (queued < 2048) queued++;
        else consumerDropped++;
        if (received % 100 === 0) queued = Math.max(0, queued - 1); // drains 1% of its input
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const p = new AdaptiveSamplingSpanProcessor({
      next: slow,
      clock,
      sweepIntervalMs: 0,
      decisionWaitMs: 1000,
      maxBufferedTraces,
      maxBufferedSpans,
      maxSpansPerTrace,
    });
    const r = prng(5);
    // Roots end only after 3000 more traces have started, and 1% of the traces have 300
    // spans: every limit is hit, over and over.
    const open: LightSpan[] = [];
    let spans = 0;
    let traces = 0;
    let maxTraces = 0;
    let maxSpans = 0;
    let errorsSent = 0;
    const ctx = {} as any;
    while (spans < 1_000_000) {
      clock.t += 0.5;
      const traceId = counterTraceId(traces++);
      const root = new LightSpan('r', traceId, 'r', undefined, false);
      p.onStart(root, ctx);
      const parent = root.asParent();
      // Phases of small traces (the trace limit binds) and of larger ones (the span limit).
      const small = Math.floor(traces / 20_000) % 2 === 0;
      const n = r() < 0.01 ? 300 : 1 + Math.floor(r() * (small ? 2 : 16));
      for (let i = 0; i < n; i++) {
        const error = r() < 0.001;
        if (error) errorsSent++;
        const c = new LightSpan('c', traceId, `c${i}`, parent, error);
        p.onStart(c, ctx);
        p.onEnd(c);
      }
      spans += n + 1;
      open.push(root);
      if (open.length > 3000) p.onEnd(open.shift()!);
      if ((traces & 63) === 0) {
        const s = p.stats();
        if (s.bufferedTraces > maxTraces) maxTraces = s.bufferedTraces;
        if (s.bufferedSpans > maxSpans) maxSpans = s.bufferedSpans;
      }
    }
    // Decided traces still queued for their grace period hold no spans any more.
    // (Decided buffers are recycled: those waiting for reuse hold none either.)
    let inBuffers = 0;
    for (const v of (p as any).traces.values()) if (isBuffer(v)) inBuffers += v.spanCount;
    expect(inBuffers).toBe(p.stats().bufferedSpans);
    for (const b of (p as any).pool) {
      expect(b.spanCount).toBe(0);
      expect(b.spans.every((x: unknown) => x === undefined)).toBe(true);
    }
    for (const o of open) p.onEnd(o);
    await p.shutdown();
    const s = p.stats();
    expect(maxTraces).toBeGreaterThan(maxBufferedTraces / 2);
    expect(maxTraces).toBeLessThanOrEqual(maxBufferedTraces);
    expect(maxSpans).toBeLessThanOrEqual(maxBufferedSpans);
    const values = [...(p as any).traces.values()];
    expect(values.filter(isBuffer)).toHaveLength(0);
    expect(values.length).toBeLessThanOrEqual(20_000); // decisions only
    expect((p as any).pool.length).toBeLessThanOrEqual(256);
    expect(s.bufferedSpans).toBe(0);
    expect(s.forcedDecisions.max_buffered_traces).toBeGreaterThan(0);
    expect(s.forcedDecisions.max_buffered_spans).toBeGreaterThan(0);
    expect(s.forcedDecisions.max_spans_per_trace).toBeGreaterThan(0);
    // Every span was accounted for: forwarded or dropped by the policy, never lost silently.
    expect(s.spansKept + s.spansDropped).toBe(spans);
    expect(received).toBe(s.spansKept);
    expect(errorsSent).toBeGreaterThan(0);
    expect(s.tracesKept.error).toBeGreaterThan(0);
    expect(consumerDropped).toBeGreaterThan(0); // the consumer really was too slow
  });

  it('flush on shutdown decides and forwards everything buffered: nothing kept is lost', async () => {
    const { clock, sink, processor, forwarded } = setup({ decisionWaitMs: 60_000 });
    const ids: string[] = [];
    const errorIds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const t = trace(processor, clock, {
        error: i % 5 === 0,
        traceId: i % 2 ? lucky() : unlucky(),
      });
      if (i % 3 === 0)
        processor.onEnd(t.children[0]); // some still open
      else t.endAll();
      ids.push(t.traceId);
      if (i % 5 === 0) errorIds.push(t.traceId);
    }
    expect(forwarded).toHaveLength(0);
    await processor.shutdown();
    const s = processor.stats();
    expect(s.bufferedTraces).toBe(0);
    expect(s.forcedDecisions.flush).toBe(50);
    for (const id of errorIds) expect(sink.traces.get(id)?.reason).toBe('error');
    // Every lucky trace passes the baseline threshold, so it must have been forwarded.
    for (let i = 1; i < 50; i += 2) expect(sink.traces.has(ids[i])).toBe(true);
    expect(s.spansKept).toBe(forwarded.length);
    expect(sink.shutDown).toBe(1);
    await processor.shutdown(); // idempotent
    expect(sink.shutDown).toBe(1);
    // After shutdown nothing is buffered any more.
    trace(processor, clock).endAll();
    expect(processor.stats().bufferedSpans).toBe(0);
  });

  it('keeps a trace decided early as slow when its open root already ran past the threshold', () => {
    const { clock, processor, forwarded } = setup({ maxBufferedTraces: 1, slowThresholdMs: 500 });
    const a = trace(processor, clock, { traceId: unlucky() });
    processor.onEnd(a.children[0]);
    clock.t += 501;
    trace(processor, clock, { traceId: unlucky() }); // evicts `a`, still open after 501 ms
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0].attributes['sampling.reason']).toBe('slow');
    expect(forwarded[0].attributes['sampling.incomplete']).toBe(true);
    processor.onEnd(a.root); // the late root follows the decision
    expect(forwarded).toHaveLength(2);
    expect(forwarded[1].attributes['sampling.reason']).toBe('slow');
  });

  it('releases the spans of a decided trace at once', () => {
    const { clock, processor } = setup({ decisionWaitMs: 60_000, maxBufferedTraces: 1 });
    const a = trace(processor, clock);
    a.endAll();
    const buf = (processor as any).traces.get(a.traceId);
    expect(buf.spanCount).toBe(3);
    const b = trace(processor, clock); // evicts `a` early (max_buffered_traces)
    expect(isBuffer((processor as any).traces.get(a.traceId))).toBe(false); // its decision
    // The buffer was emptied and reused for `b`: nothing of `a` is held any more.
    expect(buf.traceId).toBe(b.traceId);
    expect(buf.spanCount).toBe(0);
    expect(buf.spans.every((x: unknown) => x === undefined)).toBe(true);
    expect(buf.root).toBeUndefined();
    expect(buf.rootStarted).toBe(b.root);
  });

  it('forceFlush forwards buffered traces and flushes next', async () => {
    const { clock, sink, processor, forwarded } = setup({ decisionWaitMs: 60_000 });
    trace(processor, clock).endAll();
    await processor.forceFlush();
    expect(forwarded).toHaveLength(3);
    expect(sink.flushed).toBe(1);
  });

  it('multiplies an incoming head-sampling probability into the threshold (proportional)', () => {
    const { clock, processor, forwarded } = setup({ minRate: 0.5, maxRate: 0.5 });
    const ts = createTraceState('ot=th:8;rv:ffffffffffffff,vendor=x');
    trace(processor, clock, { traceState: ts, traceId: unlucky() }).endAll();
    trace(processor, clock, { traceState: ts, traceId: unlucky(), error: true }).endAll();
    clock.t += 1000;
    processor.sweepNow();
    const baseline = forwarded.filter((s) => s.attributes['sampling.reason'] === 'baseline');
    const error = forwarded.filter((s) => s.attributes['sampling.reason'] === 'error');
    expect(baseline).toHaveLength(3); // rv (not the trace id) decides: it passes
    expect(baseline[0].spanContext().traceState.get('ot')).toBe('th:c;rv:ffffffffffffff');
    expect(baseline[0].spanContext().traceState.get('vendor')).toBe('x');
    expect(baseline[0].attributes['sampling.adjusted_count']).toBe(4);
    expect(error[0].spanContext().traceState.get('ot')).toBe('th:8;rv:ffffffffffffff');
    expect(error[0].attributes['sampling.adjusted_count']).toBe(2);
  });

  it('passes spans that were not sampled upstream straight through', () => {
    const { processor, forwarded } = setup();
    const s = makeSpan({
      traceId: lucky(),
      spanId: hex(16),
      name: 'x',
      startMs: 0,
      endMs: 1,
      sampled: false,
    });
    processor.onStart(s, {} as any);
    processor.onEnd(s);
    expect(forwarded).toEqual([s]);
    expect(processor.stats().bufferedTraces).toBe(0);
  });

  it('annotate mode keeps every span and marks the local root with decision and flags', () => {
    const { clock, processor, forwarded } = setup({ mode: 'annotate', slowThresholdMs: 1000 });
    trace(processor, clock, { traceId: unlucky(), error: true }).endAll();
    trace(processor, clock, { traceId: unlucky(), durationMs: 5000 }).endAll();
    trace(processor, clock, { traceId: unlucky() }).endAll();
    trace(processor, clock, { traceId: lucky() }).endAll();
    expect(forwarded).toHaveLength(12); // no buffering, nothing dropped
    const roots = forwarded.filter((s) => !s.parentSpanContext);
    expect(roots.map((r) => r.attributes['sampling.decision'])).toEqual([
      'keep',
      'keep',
      'drop',
      'keep',
    ]);
    expect(roots.map((r) => r.attributes['sampling.reason'])).toEqual([
      'error',
      'slow',
      undefined,
      'baseline',
    ]);
    expect(roots.map((r) => r.attributes['sampling.error'])).toEqual([true, false, false, false]);
    expect(roots.map((r) => r.attributes['sampling.slow'])).toEqual([false, true, false, false]);
    // The Collector decides, so counts are not re-weighted here: no th, no adjusted count.
    for (const s of forwarded) {
      expect(s.spanContext().traceState).toBeUndefined();
      expect(s.attributes['sampling.adjusted_count']).toBeUndefined();
    }
    expect(processor.stats().bufferedTraces).toBe(0);
  });

  it('uses custom isError and keyOf', () => {
    const { clock, processor, forwarded } = setup({
      // A content-filtered completion is worth keeping too.
      isError: (span) =>
        span.status.code === 2 ||
        (span.attributes['gen_ai.response.finish_reasons'] as string[] | undefined)?.includes(
          'content_filter',
        ) === true,
      keyOf: (root) => `tenant:${root.attributes['app.tenant'] ?? 'none'}`,
    });
    const t = trace(processor, clock, { traceId: unlucky() });
    t.children[0].attributes['gen_ai.response.finish_reasons'] = ['content_filter'];
    t.root.attributes['app.tenant'] = 'acme';
    t.endAll();
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded).toHaveLength(3);
    const root = forwarded.find((s) => !s.parentSpanContext);
    expect(root.attributes['sampling.reason']).toBe('error');
    expect(root.attributes['sampling.key']).toBe('tenant:acme');
  });

  it('forgets the oldest decisions beyond decisionCacheSize; a forgotten trace is decided anew', () => {
    const { clock, processor, forwarded } = setup({ decisionCacheSize: 2 });
    const a = trace(processor, clock, { children: 2 });
    processor.onEnd(a.root);
    processor.onEnd(a.children[0]);
    clock.t += 1000;
    processor.sweepNow();
    for (let i = 0; i < 2; i++) trace(processor, clock, { traceId: unlucky() }).endAll();
    clock.t += 1000;
    processor.sweepNow();
    const decided = [...(processor as any).traces.entries()].filter(([, v]) => !isBuffer(v));
    expect(decided).toHaveLength(2);
    expect((processor as any).traces.has(a.traceId)).toBe(false);
    // The late child of `a` starts a new buffer; being lucky, it is kept again, consistently.
    processor.onEnd(a.children[1]);
    clock.t += 1000;
    processor.sweepNow();
    processor.forceFlush();
    const ofA = forwarded.filter((s) => s.spanContext().traceId === a.traceId);
    expect(ofA).toHaveLength(3);
    expect(new Set(ofA.map((s) => s.spanContext().traceState.get('ot')))).toEqual(
      new Set(['th:f33333']),
    );
  });

  it('never breaks the host: throwing callbacks and a throwing next are swallowed', () => {
    const clock = new FakeClock();
    let calls = 0;
    const p = new AdaptiveSamplingSpanProcessor({
      next: {
        onStart() {
          throw new Error('next onStart');
        },
        onEnd() {
          calls++;
          throw new Error('next onEnd');
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
      clock,
      sweepIntervalMs: 0,
      decisionWaitMs: 0,
      isError: () => {
        throw new Error('isError');
      },
      keyOf: () => {
        throw new Error('keyOf');
      },
    });
    expect(() => trace(p, clock, { error: true }).endAll()).not.toThrow();
    expect(calls).toBe(3);
    expect(() => new AdaptiveSamplingSpanProcessor({} as any)).toThrow(TypeError);
  });

  it('unrefs its timer so it never keeps the process alive', async () => {
    const p = new AdaptiveSamplingSpanProcessor({ next: new RecordingSink(), sweepIntervalMs: 10 });
    const timer = (p as any).timer as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await p.shutdown();
    expect((p as any).timer).toBeUndefined();
  });

  it('exports its counters as genai_otel.sampling.* metrics', async () => {
    const telemetry = createTestTelemetry();
    const { clock, processor } = setup({ meterProvider: telemetry.meterProvider });
    trace(processor, clock, { error: true }).endAll();
    trace(processor, clock, { traceId: unlucky() }).endAll();
    trace(processor, clock);
    clock.t += 1000;
    processor.sweepNow();
    const m = await telemetry.metricsByName();
    const point = (name: string, attrs: Record<string, unknown>) =>
      m
        .get(name)
        ?.dataPoints.find((d: any) =>
          Object.entries(attrs).every(([k, v]) => d.attributes[k] === v),
        )?.value;
    expect(
      point('genai_otel.sampling.traces', {
        'sampling.decision': 'kept',
        'sampling.reason': 'error',
      }),
    ).toBe(1);
    expect(point('genai_otel.sampling.traces', { 'sampling.decision': 'dropped' })).toBe(1);
    expect(
      point('genai_otel.sampling.spans', { 'sampling.decision': 'kept', 'sampling.late': false }),
    ).toBe(3);
    expect(point('genai_otel.sampling.buffered_traces', {})).toBe(1);
    expect(point('genai_otel.sampling.baseline_probability', {})).toBe(0.05);
    expect(
      point('genai_otel.sampling.forced_decisions', { 'sampling.cause': 'max_buffered_traces' }),
    ).toBe(0);
    await telemetry.shutdown();
  });
  it('reuses a decided trace buffer without carrying anything over to the next trace', () => {
    const { clock, processor, forwarded } = setup({ maxBufferedTraces: 1 });
    // `a` fails and stays open; `b` evicts it early, so `a`'s buffer is recycled for `b`.
    const a = trace(processor, clock, { traceId: unlucky(), error: true, children: 3 });
    for (const c of a.children) processor.onEnd(c);
    const bufA = (processor as any).traces.get(a.traceId);
    const b = trace(processor, clock, { traceId: unlucky(), children: 1 });
    expect(forwarded.map((s) => s.attributes['sampling.reason'])).toEqual([
      'error',
      'error',
      'error',
    ]);
    const bufB = (processor as any).traces.get(b.traceId);
    expect(bufB).toBe(bufA); // the same object, reused
    expect(bufB.hasError).toBe(false);
    expect(bufB.spanCount).toBe(0);
    expect(bufB.rootSpanId).toBe(b.root.spanContext().spanId);
    b.endAll();
    clock.t += 1000;
    processor.sweepNow();
    // `b` is fast, successful and unlucky: dropped, with only its own two spans counted.
    expect(forwarded).toHaveLength(3);
    const s = processor.stats();
    expect(s.tracesDropped).toBe(1);
    expect(s.spansDropped).toBe(2);
    expect(s.bufferedTraces).toBe(0);
    expect(s.bufferedSpans).toBe(0);
    // `a`'s late root still follows `a`'s decision, not `b`'s.
    processor.onEnd(a.root);
    expect(forwarded).toHaveLength(4);
    expect(forwarded[3].attributes['sampling.reason']).toBe('error');
  });

  it('keys roots of one name by their current operation and model (cached keys never go stale)', () => {
    const { clock, processor, forwarded } = setup({ minRate: 1, maxRate: 1 });
    const models = ['gpt-4o', 'claude', 'gpt-4o', undefined];
    for (const model of models) {
      const t = trace(processor, clock, { children: 0 });
      if (model !== undefined) {
        (t.root.attributes as any)['gen_ai.operation.name'] = 'chat';
        (t.root.attributes as any)['gen_ai.request.model'] = model;
      }
      t.endAll();
    }
    clock.t += 1000;
    processor.sweepNow();
    expect(forwarded.map((s) => s.attributes['sampling.key'])).toEqual([
      'invoke_agent a|chat|gpt-4o',
      'invoke_agent a|chat|claude',
      'invoke_agent a|chat|gpt-4o',
      'invoke_agent a||',
    ]);
    expect(processor.stats().latencyKeys).toBe(3);
  });
});
