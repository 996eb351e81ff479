/**
 * The policy over synthetic traffic (seeded, deterministic, driven by a fake clock: no timing).
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveSamplingSpanProcessor } from '../../src/sampling/index.js';
import {
  FakeClock,
  RecordingSink,
  runTraffic,
  type TraceTruth,
  type TrafficKey,
} from './traffic.js';

const KEYS: TrafficKey[] = [
  {
    name: 'invoke_agent support',
    operation: 'invoke_agent',
    model: 'gpt-4o',
    medianMs: 3000,
    sigma: 0.8,
    weight: 2,
  },
  { name: 'chat', operation: 'chat', model: 'claude-sonnet', medianMs: 800, sigma: 0.6, weight: 5 },
  {
    name: 'embeddings',
    operation: 'embeddings',
    model: 'text-embedding-3-small',
    medianMs: 90,
    sigma: 0.5,
    weight: 3,
  },
];

function quantileOf(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

interface RunResult {
  truths: TraceTruth[];
  sink: RecordingSink;
  processor: AdaptiveSamplingSpanProcessor;
  /** Decision time (fake clock) of every baseline-kept trace, ms. */
  baselineKeptAt: number[];
  endMs: number;
}

async function simulate(
  traffic: Parameters<typeof runTraffic>[0],
  options: Partial<ConstructorParameters<typeof AdaptiveSamplingSpanProcessor>[0]> = {},
): Promise<RunResult> {
  const clock = new FakeClock();
  const baselineKeptAt: number[] = [];
  const sink = new RecordingSink((span) => {
    if (span.attributes['sampling.reason'] === 'baseline' && !span.parentSpanContext) {
      baselineKeptAt.push(clock.t);
    }
  });
  const processor = new AdaptiveSamplingSpanProcessor({
    next: sink,
    clock,
    sweepIntervalMs: 0,
    decisionWaitMs: 500,
    ...options,
  });
  const truths: TraceTruth[] = [];
  const { endMs } = runTraffic(traffic, processor, clock, (t) => truths.push(t));
  await processor.shutdown();
  return { truths, sink, processor, baselineKeptAt, endMs };
}

function ratePerSecond(times: number[], fromMs: number, toMs: number): number {
  const n = times.filter((t) => t >= fromMs && t < toMs).length;
  return (n * 1000) / (toMs - fromMs);
}

describe('adaptive sampling policy over 100k synthetic traces', () => {
  const TARGET = 20;
  let result: RunResult;

  it('generates the traffic and decides every trace', { timeout: 300_000 }, async () => {
    result = await simulate(
      {
        seed: 42,
        // ~100k traces: 480/s for 200 s with two 3x bursts of 5 s.
        phases: [{ durationS: 200, tracesPerSecond: 455 }],
        bursts: [
          { atS: 60, durationS: 5, factor: 3 },
          { atS: 140, durationS: 5, factor: 3 },
        ],
        errorRate: 0.02,
        keys: KEYS,
        children: [1, 5],
      },
      { targetTracesPerSecond: TARGET },
    );
    const { truths, processor } = result;
    expect(truths.length).toBeGreaterThan(99_000);
    expect(truths.length).toBeLessThan(105_000);
    const s = processor.stats();
    const decided =
      s.tracesDropped +
      s.tracesKept.error +
      s.tracesKept.slow +
      s.tracesKept.baseline +
      s.tracesKept.overflow;
    expect(decided).toBe(truths.length);
    expect(s.bufferedTraces).toBe(0);
    expect(s.bufferedSpans).toBe(0);
  });

  it('keeps 100% of error traces, with every span', () => {
    const { truths, sink } = result;
    const errors = truths.filter((t) => t.error);
    expect(errors.length).toBeGreaterThan(1500);
    for (const t of errors) {
      const kept = sink.traces.get(t.traceId);
      expect(kept?.reason).toBe('error');
      expect(kept?.spans).toBe(t.spans);
      expect(kept?.adjustedCount).toBe(1);
      expect(kept?.th).toBe('0');
    }
  });

  it('keeps >= 95% of the traces slower than the true p99 of their key', () => {
    const { truths, sink } = result;
    let above = 0;
    let keptAbove = 0;
    for (let k = 0; k < KEYS.length; k++) {
      const ofKey = truths.filter((t) => t.key === k);
      const p99 = quantileOf(
        ofKey.map((t) => t.durationMs),
        0.99,
      );
      for (const t of ofKey) {
        if (t.durationMs > p99) {
          above++;
          if (sink.traces.has(t.traceId)) keptAbove++;
        }
      }
    }
    expect(above).toBeGreaterThan(900);
    const share = keptAbove / above;
    expect(share).toBeGreaterThanOrEqual(0.95);
    // ...while "slow" stays about 1% of the traffic, not a loophole that keeps everything.
    const slow = result.processor.stats().tracesKept.slow;
    expect(slow / truths.length).toBeLessThan(0.02);
  });

  it('holds the baseline stratum within 20% of the target after adaptation', () => {
    const { baselineKeptAt } = result;
    const rate = ratePerSecond(baselineKeptAt, 30_000, 200_000);
    expect(rate).toBeGreaterThan(TARGET * 0.8);
    expect(rate).toBeLessThan(TARGET * 1.2);
  });

  it('re-weights to the true traffic within 5% (adjusted counts)', () => {
    const { truths, sink } = result;
    let estimate = 0;
    for (const t of sink.traces.values()) estimate += t.adjustedCount;
    expect(Math.abs(estimate - truths.length) / truths.length).toBeLessThan(0.05);
    // Per key too: the strata are unbiased individually.
    for (let k = 0; k < KEYS.length; k++) {
      const ofKey = truths.filter((t) => t.key === k);
      let est = 0;
      for (const t of ofKey) est += sink.traces.get(t.traceId)?.adjustedCount ?? 0;
      expect(Math.abs(est - ofKey.length) / ofKey.length).toBeLessThan(0.08);
    }
  });

  it('writes a th that matches the recorded adjusted count on every kept trace', () => {
    for (const t of result.sink.traces.values()) {
      expect(t.th).toBeDefined();
      const T = Number.parseInt(t.th!.padEnd(14, '0').slice(0, 13), 16) / 16 ** 13;
      expect(1 / (1 - T)).toBeCloseTo(t.adjustedCount, 6);
    }
  });
});

describe('adaptive sampling under a 10x load change', () => {
  it('tracks the target volume when load rises 10x and falls back', {
    timeout: 300_000,
  }, async () => {
    const TARGET = 5;
    const { baselineKeptAt, truths, sink } = await simulate(
      {
        seed: 7,
        phases: [
          { durationS: 150, tracesPerSecond: 50 },
          { durationS: 150, tracesPerSecond: 500 },
          { durationS: 150, tracesPerSecond: 50 },
        ],
        errorRate: 0.01,
        keys: KEYS,
        children: [0, 3],
      },
      { targetTracesPerSecond: TARGET, minRate: 0.001, maxRate: 1 },
    );
    // After each change, allow the adaptation window (a decrease applies at once, an increase
    // is capped at +50% per 10 s interval: 10x needs ~6 intervals), then measure.
    for (const [from, to] of [
      [60_000, 150_000],
      [200_000, 300_000],
      [380_000, 450_000],
    ]) {
      const rate = ratePerSecond(baselineKeptAt, from, to);
      expect(rate, `baseline kept/s in [${from}, ${to})`).toBeGreaterThan(TARGET * 0.8);
      expect(rate).toBeLessThan(TARGET * 1.2);
    }
    // Total kept volume = target + the error and slow strata, which scale with the load.
    for (const [from, to, load] of [
      [60_000, 150_000, 50],
      [200_000, 300_000, 500],
    ]) {
      const kept = truths.filter(
        (t) => t.startMs >= from && t.startMs < to && sink.traces.has(t.traceId),
      ).length;
      const perSecond = (kept * 1000) / (to - from);
      const expected = TARGET + load * (0.01 + 0.01);
      expect(perSecond).toBeGreaterThan(expected * 0.75);
      expect(perSecond).toBeLessThan(expected * 1.3);
    }
    let estimate = 0;
    for (const t of sink.traces.values()) estimate += t.adjustedCount;
    expect(Math.abs(estimate - truths.length) / truths.length).toBeLessThan(0.05);
  });
});
