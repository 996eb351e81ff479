import { createTraceState } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { DDSketch } from '../../src/sampling/ddsketch.js';
import { mergeAttributes } from '../../src/sampling/forwarded-span.js';
import { LatencyTracker, OVERFLOW_KEY, WindowedQuantile } from '../../src/sampling/latency.js';
import { RateController } from '../../src/sampling/rate.js';
import {
  ALWAYS_KEEP,
  maxThreshold,
  NEVER_KEEP,
  otOf,
  parseOt,
  parseThreshold,
  passes,
  randomnessOf,
  serializeOt,
  thresholdForProbability,
  traceIdPasses,
  withThreshold,
} from '../../src/sampling/threshold.js';
import { normal, prng } from './traffic.js';

describe('consistent probability thresholds (OTEP 235)', () => {
  it('encodes the spec examples', () => {
    expect(thresholdForProbability(1).th).toBe('0');
    expect(thresholdForProbability(0.5).th).toBe('8');
    expect(thresholdForProbability(0.25).th).toBe('c');
    expect(thresholdForProbability(0.01).th).toBe('fd70a4');
    expect(thresholdForProbability(0.01).adjustedCount).toBeCloseTo(100, 3);
    expect(thresholdForProbability(0.5).adjustedCount).toBe(2);
    expect(thresholdForProbability(0)).toBe(NEVER_KEEP);
    expect(thresholdForProbability(Number.NaN)).toBe(ALWAYS_KEEP);
  });

  it('keeps iff randomness >= threshold, exactly at the boundary', () => {
    const half = thresholdForProbability(0.5);
    expect(passes('80000000000000', half)).toBe(true);
    expect(passes('7fffffffffffff', half)).toBe(false);
    expect(passes('ffffffffffffff', thresholdForProbability(1e-9))).toBe(true);
    expect(passes('00000000000000', ALWAYS_KEEP)).toBe(true);
    expect(passes('ffffffffffffff', NEVER_KEEP)).toBe(false);
  });

  it('keeps a share close to p over random trace ids', () => {
    const rand = prng(3);
    const t = thresholdForProbability(0.03);
    let kept = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const id = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
      if (passes(randomnessOf(id)!, t)) kept++;
    }
    expect(kept / n).toBeGreaterThan(0.028);
    expect(kept / n).toBeLessThan(0.032);
  });

  it('parses and rewrites the ot member, preserving rv and other keys', () => {
    const ot = parseOt('th:c;rv:0123456789abcd;xx:1');
    expect(ot).toEqual({ th: 'c', rv: '0123456789abcd', rest: ['xx:1'] });
    expect(serializeOt(ot)).toBe('th:c;rv:0123456789abcd;xx:1');
    expect(parseThreshold('c')?.probability).toBe(0.25);
    expect(parseThreshold('zz')).toBeUndefined();
    expect(parseThreshold('123456789abcdef')).toBeUndefined(); // 15 digits
    const ts = createTraceState('vendor=a,ot=rv:0123456789abcd');
    const next = withThreshold(ts, otOf(ts), thresholdForProbability(0.25));
    expect(next.get('ot')).toBe('th:c;rv:0123456789abcd');
    expect(next.get('vendor')).toBe('a');
    expect(withThreshold(next, otOf(next), undefined).get('ot')).toBe('rv:0123456789abcd');
  });

  it('takes randomness from rv when present, else the low 56 bits of the trace id', () => {
    const id = '0123456789abcdef0123456789abcdef';
    expect(randomnessOf(id)).toBe('23456789abcdef');
    expect(randomnessOf(id, parseOt('rv:ffffffffffffff'))).toBe('ffffffffffffff');
    expect(randomnessOf(id, parseOt('rv:bad'))).toBe('23456789abcdef');
    expect(randomnessOf('not-a-trace-id')).toBeUndefined();
  });

  it('orders thresholds so later stages only raise them', () => {
    const a = thresholdForProbability(0.5);
    const b = thresholdForProbability(0.1);
    expect(maxThreshold(a, b)).toBe(b);
    expect(maxThreshold(ALWAYS_KEEP, a)).toBe(a);
  });
});

describe('traceIdPasses (allocation-free randomness test)', () => {
  it('agrees with passes(randomnessOf(...)) on random, edge, uppercase, malformed ids and rv', () => {
    const r = prng(7);
    const hexOf = (n: number, digits = '0123456789abcdef') =>
      Array.from({ length: n }, () => digits[Math.floor(r() * digits.length)]).join('');
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(hexOf(32));
    for (let i = 0; i < 50; i++) ids.push(hexOf(32, '0123456789ABCDEF'));
    ids.push(
      `${hexOf(18)}00000000000000`,
      `${hexOf(18)}ffffffffffffff`,
      `${hexOf(18)}FFFFFFFFFFFFFF`,
    );
    ids.push(`${hexOf(18)}0000000000000g`, `${hexOf(18)}zzzzzzzzzzzzzz`, hexOf(31), hexOf(33), '');
    const thresholds = [ALWAYS_KEEP, NEVER_KEEP, parseThreshold('8')!, parseThreshold('fd70a4')!];
    for (let i = 0; i < 40; i++) thresholds.push(thresholdForProbability(r()));
    // A threshold equal to an id's randomness (keep iff R >= T: kept).
    thresholds.push(parseThreshold(ids[0]!.slice(18))!);
    const ots = [undefined, parseOt(''), parseOt('rv:0123456789abcd'), parseOt('rv:bad;th:8')];
    for (const id of ids) {
      for (const th of thresholds) {
        for (const ot of ots) {
          const rv = randomnessOf(id, ot);
          const expected = rv === undefined ? undefined : passes(rv, th);
          expect(traceIdPasses(id, ot, th), `${id} ${th.th} ${ot?.rv}`).toBe(expected);
        }
      }
    }
  });
});

describe('DDSketch', () => {
  it('reports quantiles within its relative accuracy', () => {
    const rand = prng(11);
    const s = new DDSketch(0.01);
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = 500 * Math.exp(0.9 * normal(rand));
      values.push(v);
      s.add(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = values[Math.floor(q * (values.length - 1))];
      expect(Math.abs(s.quantile(q)! - exact) / exact).toBeLessThan(0.011);
      expect(s.quantileLowerBound(q)!).toBeLessThanOrEqual(exact * 1.0001);
    }
    expect(s.count).toBe(50_000);
  });

  it('merges and subtracts exactly', () => {
    const a = new DDSketch();
    const b = new DDSketch();
    for (let i = 1; i <= 1000; i++) a.add(i);
    for (let i = 1000; i <= 100_000; i += 7) b.add(i);
    const total = new DDSketch();
    total.merge(a);
    total.merge(b);
    expect(total.count).toBe(a.count + b.count);
    total.subtract(b);
    expect(total.count).toBe(a.count);
    expect(total.quantile(0.99)).toBe(a.quantile(0.99));
    expect(new DDSketch().quantile(0.5)).toBeUndefined();
  });

  it('clamps zero, negative and huge values instead of failing', () => {
    const s = new DDSketch();
    s.add(0);
    s.add(-5);
    s.add(Number.NaN);
    s.add(1e12);
    expect(s.count).toBe(4);
    expect(s.quantile(1)).toBeLessThan(1.1e8);
  });
});

describe('WindowedQuantile / LatencyTracker', () => {
  it('forgets old samples as the window slides, but keeps minSamples of history', () => {
    const w = new WindowedQuantile({ windowMs: 10_000, slots: 10, minSamples: 100, alpha: 0.01 });
    for (let i = 0; i < 1000; i++) w.add(i, 100); // 1000 samples of 100 ms in the first second
    expect(w.threshold(1000, 0.99)).toBeCloseTo(100, -1);
    // 20 s later, a slower regime for 20 s: the fast samples are carried until enough new
    // ones exist, then retired, and the window holds about 10 s of samples.
    for (let i = 0; i < 2000; i++) w.add(20_000 + i * 10, 1000);
    expect(w.count).toBeLessThanOrEqual(1100);
    expect(w.threshold(40_000, 0.5)!).toBeGreaterThan(900);
    // A quiet period: nothing is retired while fewer than minSamples would remain.
    const quiet = new WindowedQuantile({
      windowMs: 10_000,
      slots: 10,
      minSamples: 100,
      alpha: 0.01,
    });
    for (let i = 0; i < 50; i++) quiet.add(i * 60_000, 100);
    expect(quiet.count).toBe(50);
  });

  it('uses the fallback until warm, reads the threshold before recording, bounds keys', () => {
    const t = new LatencyTracker({
      windowMs: 60_000,
      slots: 6,
      minSamples: 10,
      alpha: 0.01,
      quantile: 0.9,
      maxKeys: 2,
      fallbackThresholdMs: 5000,
    });
    for (let i = 0; i < 10; i++) expect(t.observe('a', 100, i)).toBe(5000);
    expect(t.isWarm('a', 11)).toBe(true);
    expect(t.observe('a', 100_000, 11)).toBeLessThan(103); // the outlier did not raise its own bar
    t.observe('b', 1, 0);
    t.observe('c', 1, 0);
    t.observe('d', 1, 0);
    expect(t.keyCount).toBe(3); // a, b and the shared overflow key
    expect(t.peek(OVERFLOW_KEY, 0)).toBe(5000);
  });
});

describe('RateController', () => {
  const base = {
    targetPerSecond: 10,
    minRate: 0.001,
    maxRate: 1,
    intervalMs: 10_000,
    emaWeight: 0.5,
    maxIncreaseFactor: 1.5,
    initialRate: 1,
  };
  /** Feeds `perSecond` evenly spaced arrivals for `seconds`, starting at `start` ms. */
  function feed(c: RateController, start: number, seconds: number, perSecond: number): number {
    const step = 1000 / perSecond;
    let t = start;
    for (let i = 0; i < seconds * perSecond; i++, t += step) c.observe(t);
    c.tick(t);
    return t;
  }

  it('converges to target / arrival rate', () => {
    const c = new RateController(base);
    feed(c, 0, 60, 1000);
    expect(c.rate).toBeCloseTo(0.01, 3);
  });

  it('decreases at once but increases by at most 50% per interval', () => {
    const c = new RateController(base);
    let t = feed(c, 0, 60, 100); // p = 0.1
    expect(c.rate).toBeCloseTo(0.1, 2);
    t = feed(c, t, 30, 1000); // 10x load: the burst override applies within a second
    expect(c.rate).toBeCloseTo(0.01, 2);
    const before = c.rate;
    t = feed(c, t, 10, 100); // load falls back: one interval
    expect(c.rate).toBeLessThanOrEqual(before * 1.5 + 1e-12);
    feed(c, t, 120, 100);
    expect(c.rate).toBeCloseTo(0.1, 2);
  });

  it('overrides the rate during a short burst and restores it right after', () => {
    const c = new RateController(base);
    let t = feed(c, 0, 60, 100);
    const steady = c.rate;
    t = feed(c, t, 3, 500);
    expect(c.inBurst).toBe(true);
    expect(c.rate).toBeCloseTo(0.02, 2);
    feed(c, t, 2, 100);
    expect(c.inBurst).toBe(false);
    expect(c.rate).toBeCloseTo(steady, 6);
  });

  it('stays within [minRate, maxRate] and rises when traffic stops', () => {
    const c = new RateController({ ...base, minRate: 0.01, maxRate: 0.05, initialRate: 0.05 });
    feed(c, 0, 30, 100_000);
    expect(c.rate).toBe(0.01);
    for (let t = 30_000; t < 200_000; t += 1000) c.tick(t);
    expect(c.rate).toBe(0.05);
  });
});

describe('mergeAttributes (kept spans)', () => {
  it('copies like an object spread, extra keys winning, a __proto__ key as an own property', () => {
    const base: Record<string, unknown> = { a: 1, b: 'x' };
    Object.defineProperty(base, '__proto__', {
      value: 'p',
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const out = mergeAttributes(base as any, { b: 'y', c: true });
    expect(out).toEqual({ ...base, b: 'y', c: true });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.keys(out)).toEqual(Object.keys({ ...base, b: 'y', c: true }));
    expect(mergeAttributes(undefined, { c: 1 })).toEqual({ c: 1 });
    // An array value under __proto__ (a valid attribute value) must not become the prototype.
    const hostile: Record<string, unknown> = { a: 1 };
    Object.defineProperty(hostile, '__proto__', {
      value: ['x', 'y'],
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const copy = mergeAttributes(hostile as any, { c: 2 });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual(['x', 'y']);
    expect(copy.c).toBe(2);
  });
});
