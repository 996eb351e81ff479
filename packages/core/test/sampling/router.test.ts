/**
 * TraceRoutingSpanProcessor: one buffer, one decision per destination (seeded traffic, fake
 * clock, no timing).
 */
import { createTestTelemetry } from '@genai-otel/test-utils';
import { createTraceState } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  type RoutingDestination,
  type TraceRoutingOptions,
  TraceRoutingSpanProcessor,
} from '../../src/sampling/index.js';
import {
  FakeClock,
  makeSpan,
  RecordingSink,
  runTraffic,
  type TraceTruth,
  type TrafficOptions,
} from './traffic.js';

const TRAFFIC: TrafficOptions = {
  seed: 4242,
  phases: [{ durationS: 600, tracesPerSecond: 40 }],
  errorRate: 0.03,
  keys: [
    { name: 'rag', operation: 'chat', model: 'model-a', medianMs: 400, sigma: 0.4, weight: 3 },
    {
      name: 'agent',
      operation: 'invoke_agent',
      model: 'model-b',
      medianMs: 900,
      sigma: 0.5,
      weight: 1,
    },
  ],
  children: [1, 4],
};

function router(
  destinations: Array<Omit<RoutingDestination, 'next'> & { next?: RoutingDestination['next'] }>,
  options: Partial<TraceRoutingOptions> = {},
) {
  const clock = new FakeClock();
  const sinks = destinations.map((d) => (d.next as RecordingSink) ?? new RecordingSink());
  const processor = new TraceRoutingSpanProcessor({
    clock,
    sweepIntervalMs: 0,
    decisionWaitMs: 100,
    ...options,
    destinations: destinations.map((d, i) => ({ ...d, next: sinks[i]! })),
  });
  return { clock, sinks, processor };
}

describe('TraceRoutingSpanProcessor', () => {
  it('routes 24k seeded traces: all, errors only, adaptive share, attribute routing; whole traces', async () => {
    const { clock, sinks, processor } = router([
      { name: 'everything', select: { all: true } },
      { name: 'alerts', select: { errorsOnly: true } },
      {
        name: 'tracing',
        select: { adaptive: { maxRate: 0.05, minRate: 0.05, targetTracesPerSecond: 1000 } },
      },
      { name: 'agents', select: { where: { 'gen_ai.request.model': 'model-b' } } },
      {
        name: 'successes',
        select: { excludeErrors: true, adaptive: { minRate: 0.1, maxRate: 0.1 } },
      },
    ]);
    const truths = new Map<string, TraceTruth>();
    runTraffic(TRAFFIC, processor, clock, (t) => truths.set(t.traceId, t));
    await processor.forceFlush();
    const [all, alerts, tracing, agents, successes] = sinks as RecordingSink[];

    const errors = [...truths.values()].filter((t) => t.error);
    expect(truths.size).toBeGreaterThan(20_000);
    expect(errors.length).toBeGreaterThan(400);

    // Everything: every trace, whole.
    expect(all!.traces.size).toBe(truths.size);
    for (const [id, t] of truths) expect(all!.traces.get(id)?.spans).toBe(t.spans);

    // Errors only: exactly the error traces, whole, with adjusted count 1.
    expect(new Set(alerts!.traces.keys())).toEqual(new Set(errors.map((t) => t.traceId)));
    for (const [id, got] of alerts!.traces) {
      expect(got.spans).toBe(truths.get(id)!.spans);
      expect(got.reason).toBe('error');
      expect(got.adjustedCount).toBe(1);
    }

    // Adaptive: every error kept; baseline share ~5%; re-weighted count ~ true count.
    for (const e of errors) expect(tracing!.traces.has(e.traceId)).toBe(true);
    const baseline = [...tracing!.traces.values()].filter((t) => t.reason === 'baseline');
    const candidates = [...truths.values()].filter(
      (t) => !t.error && tracing!.traces.get(t.traceId)?.reason !== 'slow',
    );
    const share = baseline.length / candidates.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
    for (const t of baseline) {
      expect(t.th).toBe('f33333');
      expect(t.adjustedCount).toBeCloseTo(20, 3);
    }
    let estimate = 0;
    for (const t of tracing!.traces.values()) estimate += t.adjustedCount;
    expect(Math.abs(estimate - truths.size) / truths.size).toBeLessThan(0.05);
    for (const [id, got] of tracing!.traces) expect(got.spans).toBe(truths.get(id)!.spans);

    // Attribute routing: only model-b traces, all of them.
    const modelB = [...truths.values()].filter((t) => t.key === 1);
    expect(new Set(agents!.traces.keys())).toEqual(new Set(modelB.map((t) => t.traceId)));

    // Successes only: no error trace, and a consistent superset of the 5% destination's baseline.
    for (const e of errors) expect(successes!.traces.has(e.traceId)).toBe(false);
    for (const [id, t] of tracing!.traces) {
      if (t.reason === 'baseline') expect(successes!.traces.has(id)).toBe(true);
    }

    // Buffered once: the router holds each span once, whatever the number of destinations.
    const stats = processor.stats();
    expect(stats.bufferedSpans).toBe(0);
    const perDestination = processor.destinationStats();
    expect(perDestination.map((d) => d.name)).toEqual([
      'everything',
      'alerts',
      'tracing',
      'agents',
      'successes',
    ]);
    expect(perDestination[1]!.tracesKept).toBe(errors.length);
    expect(perDestination[1]!.tracesDropped).toBe(truths.size - errors.length);
    expect(perDestination[2]!.baselineRate).toBe(0.05);
  });

  it('matches resource attributes, lists, regexes and absence', async () => {
    const { clock, sinks, processor } = router([
      { name: 'prod', select: { where: { 'deployment.environment': ['prod', 'staging'] } } },
      { name: 'claude', select: { where: { 'gen_ai.request.model': { regex: '^claude-' } } } },
      { name: 'no-tools', select: { where: { 'gen_ai.tool.name': { exists: false } } } },
    ]);
    const emit = (id: string, env: string, model: string, tool?: string) => {
      const root = makeSpan({
        traceId: id,
        spanId: `${id.slice(0, 15)}1`,
        name: 'r',
        startMs: 0,
        endMs: 5,
      });
      (root as any).resource = { attributes: { 'deployment.environment': env } };
      const child = makeSpan({
        traceId: id,
        spanId: `${id.slice(0, 15)}2`,
        parentSpanId: root.spanContext().spanId,
        name: 'c',
        startMs: 1,
        endMs: 2,
        attributes: {
          'gen_ai.request.model': model,
          ...(tool ? { 'gen_ai.tool.name': tool } : {}),
        },
      });
      (child as any).resource = (root as any).resource;
      processor.onStart(root, {} as any);
      processor.onStart(child, {} as any);
      processor.onEnd(child);
      processor.onEnd(root);
    };
    const a = `${'a'.repeat(18)}ffffffffffffff`;
    const b = `${'b'.repeat(18)}ffffffffffffff`;
    const c = `${'c'.repeat(18)}ffffffffffffff`;
    emit(a, 'prod', 'claude-sonnet-4');
    emit(b, 'dev', 'gpt-5', 'search');
    emit(c, 'staging', 'gpt-5');
    clock.t += 1000;
    await processor.forceFlush();
    const [prod, claude, noTools] = sinks as RecordingSink[];
    expect([...prod!.traces.keys()]).toEqual([a, c]);
    expect([...claude!.traces.keys()]).toEqual([a]);
    expect([...noTools!.traces.keys()]).toEqual([a, c]);
  });

  it('isolates destinations: one that throws changes nothing for the others', async () => {
    const throwing = {
      onStart() {
        throw new Error('start');
      },
      onEnd() {
        throw new Error('end');
      },
      forceFlush: () => Promise.reject(new Error('flush')),
      shutdown: () => Promise.reject(new Error('shutdown')),
    };
    const { clock, sinks, processor } = router([
      { name: 'broken', next: throwing as any },
      { name: 'ok', select: { all: true } },
    ]);
    const truths: TraceTruth[] = [];
    runTraffic(
      { ...TRAFFIC, phases: [{ durationS: 20, tracesPerSecond: 20 }] },
      processor,
      clock,
      (t) => truths.push(t),
    );
    await processor.forceFlush();
    await processor.shutdown();
    const ok = sinks[1] as RecordingSink;
    expect(ok.traces.size).toBe(truths.length);
    for (const t of truths) expect(ok.traces.get(t.traceId)?.spans).toBe(t.spans);
  });

  it('hands selections an exact, stable copy of the trace (buffers are reused afterwards)', async () => {
    const views: { traceId: string; names: string[]; spans: readonly any[] }[] = [];
    const { clock, sinks, processor } = router([
      {
        name: 'kept-views',
        select: {
          filter: (view) => {
            views.push({
              traceId: view.traceId,
              names: view.spans.map((x) => x.name),
              spans: view.spans,
            });
            return true;
          },
        },
      },
    ]);
    const ids = ['e', 'f', '1'].map((c) => `${c.repeat(18)}00000000000000`);
    for (const [i, id] of ids.entries()) {
      const rootId = `${i}`.repeat(16);
      const root = makeSpan({
        traceId: id,
        spanId: rootId,
        name: `root${i}`,
        startMs: 0,
        endMs: 5,
      });
      processor.onStart(root, {} as any);
      // Fewer spans each time: a reused buffer must not show the previous trace's tail.
      for (let c = 0; c < 3 - i; c++) {
        const child = makeSpan({
          traceId: id,
          spanId: `${i}${c}`.padEnd(16, 'c'),
          parentSpanId: rootId,
          name: `child${i}.${c}`,
          startMs: 1,
          endMs: 2,
        });
        processor.onStart(child, {} as any);
        processor.onEnd(child);
      }
      processor.onEnd(root);
      clock.t += 1000;
      processor.sweepNow();
    }
    expect(views.map((v) => v.names)).toEqual([
      ['child0.0', 'child0.1', 'child0.2', 'root0'],
      ['child1.0', 'child1.1', 'root1'],
      ['child2.0', 'root2'],
    ]);
    // The arrays the filter kept still hold exactly their own trace's spans.
    for (const v of views) {
      expect(v.spans.every((x) => x.spanContext().traceId === v.traceId)).toBe(true);
    }
    expect((sinks[0] as RecordingSink).spanCount).toBe(9);
  });

  it('a late error reaches the errors-only destination; late spans follow each decision', async () => {
    const { clock, sinks, processor } = router([
      { name: 'alerts', select: { errorsOnly: true } },
      { name: 'all', select: { all: true } },
    ]);
    const id = `${'d'.repeat(18)}00000000000000`;
    const root = makeSpan({ traceId: id, spanId: 'a'.repeat(16), name: 'r', startMs: 0, endMs: 5 });
    processor.onStart(root, {} as any);
    processor.onEnd(root);
    clock.t += 1000;
    processor.sweepNow();
    const [alerts, all] = sinks as RecordingSink[];
    expect(alerts!.spanCount).toBe(0);
    expect(all!.spanCount).toBe(1);
    const late = makeSpan({
      traceId: id,
      spanId: 'b'.repeat(16),
      parentSpanId: 'a'.repeat(16),
      name: 'late',
      startMs: 1,
      endMs: 1200,
      error: 'status',
    });
    processor.onEnd(late);
    expect(alerts!.spanCount).toBe(1);
    expect(all!.spanCount).toBe(2);
    expect(processor.stats().lateSpansKept).toBe(1);
  });

  it('an immediate destination gets each span as it ends, once, whatever the others decide', async () => {
    const { clock, sinks, processor } = router([
      { name: 'live', select: { all: true, immediate: true } },
      { name: 'alerts', select: { errorsOnly: true } },
    ]);
    const [live, alerts] = sinks as RecordingSink[];
    const trace = (id: string, error: boolean) => {
      const root = makeSpan({
        traceId: id,
        spanId: 'a'.repeat(16),
        name: 'r',
        startMs: 0,
        endMs: 9,
      });
      const child = makeSpan({
        traceId: id,
        spanId: 'b'.repeat(16),
        parentSpanId: 'a'.repeat(16),
        name: 'c',
        startMs: 1,
        endMs: 5,
        error: error ? 'status' : undefined,
      });
      return { root, child };
    };
    const ok = trace(`${'1'.repeat(18)}00000000000000`, false);
    const failed = trace(`${'2'.repeat(18)}00000000000000`, true);
    for (const t of [ok, failed]) processor.onStart(t.root, {} as any);
    processor.onEnd(ok.child);
    processor.onEnd(failed.child);
    // Before any root ended (and any decision): the live destination has both children.
    expect(live!.spanCount).toBe(2);
    expect(alerts!.spanCount).toBe(0);
    processor.onEnd(ok.root);
    processor.onEnd(failed.root);
    clock.t += 1000;
    processor.sweepNow();
    await processor.forceFlush();
    expect(live!.spanCount).toBe(4); // no span twice
    expect(live!.traces.size).toBe(2);
    // No tail decision on its spans: no reason, weight 1 (no head sampler).
    for (const t of live!.traces.values()) expect(t.reason).toBeUndefined();
    expect(alerts!.spanCount).toBe(2);
    expect(alerts!.traces.get(failed.root.spanContext().traceId)?.reason).toBe('error');
    // A late span of the dropped-by-alerts trace still reaches the live destination, once.
    processor.onEnd(
      makeSpan({
        traceId: ok.root.spanContext().traceId,
        spanId: 'c'.repeat(16),
        parentSpanId: 'a'.repeat(16),
        name: 'late',
        startMs: 2,
        endMs: 1200,
      }),
    );
    expect(live!.spanCount).toBe(5);
    expect(alerts!.spanCount).toBe(2);
    const [liveStats, alertStats] = processor.destinationStats();
    expect(liveStats).toMatchObject({ tracesKept: 2, tracesDropped: 0, spansKept: 5 });
    expect(alertStats).toMatchObject({ tracesKept: 1, tracesDropped: 1 });
    // The trace counters count a trace kept by the live destination as kept.
    expect(processor.stats().tracesDropped).toBe(0);
  });

  it('immediate spans carry the head sampler weight; immediate is ignored on other selections', async () => {
    const ts = createTraceState('ot=th:8'); // a head sampler's 50%
    const seen: any[] = [];
    const { processor, sinks } = router([
      {
        name: 'live',
        select: { all: true, immediate: true },
        next: new RecordingSink((s) => seen.push(s)),
      },
      { name: 'not-immediate', select: { errorsOnly: true, immediate: true } },
    ]);
    const id = `${'3'.repeat(18)}00000000000000`;
    const child = makeSpan({
      traceId: id,
      spanId: 'b'.repeat(16),
      parentSpanId: 'a'.repeat(16),
      name: 'c',
      startMs: 1,
      endMs: 5,
      traceState: ts,
    });
    processor.onEnd(child);
    expect(seen).toHaveLength(1);
    expect(seen[0].attributes['sampling.adjusted_count']).toBe(2);
    expect(seen[0].attributes.SampleRate).toBe(2);
    expect(seen[0].attributes['sampling.reason']).toBeUndefined();
    // The errors-only destination with `immediate` waits for the decision as usual.
    expect((sinks[1] as RecordingSink).spanCount).toBe(0);
    // Unsampled spans go to no immediate destination.
    processor.onEnd(
      makeSpan({
        traceId: id,
        spanId: 'd'.repeat(16),
        name: 'u',
        startMs: 0,
        endMs: 1,
        sampled: false,
      }),
    );
    expect(seen).toHaveLength(1);
  });

  it('uses the head sampler probability: th and adjusted count multiply', async () => {
    const { clock, sinks, processor } = router([
      { name: 'all' },
      { name: 'half', select: { adaptive: { minRate: 0.5, maxRate: 0.5 } } },
    ]);
    const ts = createTraceState('ot=th:8'); // a head sampler's 50%
    const id = `${'e'.repeat(18)}ffffffffffffff`;
    const root = makeSpan({
      traceId: id,
      spanId: 'a'.repeat(16),
      name: 'r',
      startMs: 0,
      endMs: 5,
      traceState: ts,
    });
    processor.onStart(root, {} as any);
    processor.onEnd(root);
    clock.t += 1000;
    await processor.forceFlush();
    const [all, half] = sinks as RecordingSink[];
    expect(all!.traces.get(id)?.adjustedCount).toBe(2);
    expect(half!.traces.get(id)?.adjustedCount).toBeCloseTo(4, 5);
  });

  it('exports per-destination metrics; the single baseline gauge is left to the destinations', async () => {
    const t = createTestTelemetry();
    const { clock, processor } = router(
      [
        { name: 'alerts', select: { errorsOnly: true } },
        { name: 'sample', select: { adaptive: { minRate: 0.1, maxRate: 0.1 } } },
      ],
      { meterProvider: t.meterProvider },
    );
    runTraffic(
      { ...TRAFFIC, phases: [{ durationS: 30, tracesPerSecond: 20 }] },
      processor,
      clock,
      () => {},
    );
    await processor.forceFlush();
    const m = await t.metricsByName();
    const traces = m.get('genai_otel.sampling.destination.traces');
    const value = (dest: string, decision: string) =>
      traces.dataPoints.find(
        (d: any) =>
          d.attributes['genai_otel.destination'] === dest &&
          d.attributes['sampling.decision'] === decision,
      )?.value;
    const [alerts, sample] = processor.destinationStats();
    expect(value('alerts', 'kept')).toBe(alerts!.tracesKept);
    expect(value('alerts', 'dropped')).toBe(alerts!.tracesDropped);
    expect(value('sample', 'kept')).toBe(sample!.tracesKept);
    expect(alerts!.tracesKept + alerts!.tracesDropped).toBeGreaterThan(500);
    const gauge = m.get('genai_otel.sampling.destination.baseline_probability');
    expect(
      gauge.dataPoints.map((d: any) => [d.attributes['genai_otel.destination'], d.value]),
    ).toEqual([['sample', 0.1]]);
    expect(m.get('genai_otel.sampling.baseline_probability')?.dataPoints ?? []).toEqual([]);
    await t.shutdown();
  });

  it('stamps each span once per distinct outcome, not once per destination', async () => {
    const seen: any[][] = [[], [], []];
    const { clock, processor } = router([
      { name: 'a', next: new RecordingSink((x) => seen[0]!.push(x)) },
      { name: 'b', next: new RecordingSink((x) => seen[1]!.push(x)), select: { all: true } },
      {
        name: 'c',
        next: new RecordingSink((x) => seen[2]!.push(x)),
        select: { adaptive: { minRate: 0.5, maxRate: 0.5 } },
      },
    ]);
    const id = `${'f'.repeat(18)}ffffffffffffff`;
    const root = makeSpan({ traceId: id, spanId: 'a'.repeat(16), name: 'r', startMs: 0, endMs: 5 });
    processor.onStart(root, {} as any);
    processor.onEnd(root);
    clock.t += 1000;
    await processor.forceFlush();
    expect(seen.map((x) => x.length)).toEqual([1, 1, 1]);
    expect(seen[0]![0]).toBe(seen[1]![0]);
    expect(seen[2]![0]).not.toBe(seen[0]![0]);
    expect(seen[0]![0].attributes.SampleRate).toBe(1);
    expect(seen[2]![0].attributes.SampleRate).toBe(2);
  });
});
