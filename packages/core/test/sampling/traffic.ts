/**
 * A seeded synthetic traffic generator for the sampler tests: Poisson arrivals with a
 * piecewise rate (phases, bursts), trace trees whose root durations are lognormal per key,
 * a known error rate, and a discrete-event loop that feeds span starts and ends to a span
 * processor in time order while driving an injectable clock. Fake spans are plain objects
 * with the ReadableSpan fields the processor reads, so a million of them is cheap.
 */
import type { ReadableSpanLike, SpanProcessorLike } from '../../src/sampling/types.js';

/** mulberry32: small, fast, seedable PRNG returning uniforms in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function hex(rand: () => number, digits: number): string {
  let s = '';
  while (s.length < digits)
    s += Math.floor(rand() * 2 ** 28)
      .toString(16)
      .padStart(7, '0');
  return s.slice(0, digits);
}

export class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

export interface FakeTraceState {
  get(key: string): string | undefined;
  set(key: string, value: string): FakeTraceState;
  unset(key: string): FakeTraceState;
  serialize(): string;
}

export interface FakeSpan extends ReadableSpanLike {
  /** Mutable until ended, like a real span. */
  status: { code: number; message?: string };
  attributes: Record<string, any>;
}

function hr(ms: number): [number, number] {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

export function makeSpan(args: {
  traceId: string;
  spanId: string;
  name: string;
  parentSpanId?: string;
  parentRemote?: boolean;
  startMs: number;
  endMs: number;
  attributes?: Record<string, any>;
  error?: 'status' | 'attribute';
  traceState?: any;
  sampled?: boolean;
}): FakeSpan {
  const sc = {
    traceId: args.traceId,
    spanId: args.spanId,
    traceFlags: args.sampled === false ? 0 : 1,
    traceState: args.traceState,
  };
  const attributes: Record<string, any> = { ...(args.attributes ?? {}) };
  const status = { code: 0 } as { code: number; message?: string };
  if (args.error === 'status') status.code = 2;
  if (args.error === 'attribute') attributes['error.type'] = 'RateLimitError';
  return {
    name: args.name,
    kind: 0,
    spanContext: () => sc,
    parentSpanContext: args.parentSpanId
      ? {
          traceId: args.traceId,
          spanId: args.parentSpanId,
          traceFlags: 1,
          isRemote: args.parentRemote === true,
        }
      : undefined,
    startTime: hr(args.startMs),
    endTime: hr(args.endMs),
    duration: hr(args.endMs - args.startMs),
    status,
    attributes,
    links: [],
    events: [],
    ended: true,
    resource: { attributes: {} },
    instrumentationScope: { name: 'fake' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export interface TrafficKey {
  name: string;
  operation: string;
  model: string;
  /** Median root duration, ms. */
  medianMs: number;
  /** Lognormal sigma of the root duration. */
  sigma: number;
  weight: number;
}

export interface TrafficOptions {
  seed: number;
  /** Base arrival rate over time, traces/s: consecutive phases. */
  phases: { durationS: number; tracesPerSecond: number }[];
  /** Multiplicative bursts on top of the phases. */
  bursts?: { atS: number; durationS: number; factor: number }[];
  errorRate: number;
  keys: TrafficKey[];
  /** Child spans per trace: uniform in [min, max]. */
  children: [number, number];
}

/** Ground truth for one generated trace. */
export interface TraceTruth {
  traceId: string;
  key: number;
  durationMs: number;
  error: boolean;
  startMs: number;
  spans: number;
}

type Event = { t: number; seq: number; kind: 0 | 1 | 2; span?: FakeSpan };

/** Binary min-heap on (t, seq). */
class EventHeap {
  private a: Event[] = [];
  get size(): number {
    return this.a.length;
  }
  private less(x: Event, y: Event): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(e: Event): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Event | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Runs the traffic through `processor`, advancing `clock` to each event's time. Calls
 * `onTrace` with the ground truth of every generated trace. Returns the number of traces.
 */
export function runTraffic(
  options: TrafficOptions,
  processor: SpanProcessorLike,
  clock: FakeClock,
  onTrace: (truth: TraceTruth) => void,
): { traces: number; spans: number; endMs: number } {
  const rand = prng(options.seed);
  const totalMs = options.phases.reduce((s, p) => s + p.durationS * 1000, 0);
  const rateAt = (ms: number) => {
    let acc = 0;
    let base = 0;
    for (const p of options.phases) {
      acc += p.durationS * 1000;
      base = p.tracesPerSecond;
      if (ms < acc) break;
    }
    for (const b of options.bursts ?? []) {
      if (ms >= b.atS * 1000 && ms < (b.atS + b.durationS) * 1000) base *= b.factor;
    }
    return base;
  };
  const weights = options.keys.map((k) => k.weight);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickKey = () => {
    let u = rand() * totalWeight;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  };

  const heap = new EventHeap();
  let seq = 0;
  let traces = 0;
  let spans = 0;
  heap.push({ t: 0, seq: seq++, kind: 0 });
  const ctx = {} as any;
  for (let e = heap.pop(); e; e = heap.pop()) {
    clock.t = e.t;
    if (e.kind === 1) {
      processor.onStart(e.span!, ctx);
      continue;
    }
    if (e.kind === 2) {
      processor.onEnd(e.span!);
      continue;
    }
    // Arrival: schedule the next one, then build this trace.
    const rate = rateAt(e.t);
    const next = e.t + (-Math.log(1 - rand()) / rate) * 1000;
    if (next < totalMs) heap.push({ t: next, seq: seq++, kind: 0 });

    const k = pickKey();
    const key = options.keys[k];
    const durationMs = key.medianMs * Math.exp(key.sigma * normal(rand));
    const traceId = hex(rand, 32);
    const rootId = hex(rand, 16);
    const [cmin, cmax] = options.children;
    const nChildren = cmin + Math.floor(rand() * (cmax - cmin + 1));
    const error = rand() < options.errorRate;
    // Which span carries the error (0 = root), and how (status or error.type).
    const errorAt = error ? Math.floor(rand() * (nChildren + 1)) : -1;
    const errorKind: 'status' | 'attribute' = rand() < 0.5 ? 'status' : 'attribute';
    const t0 = e.t;
    const root = makeSpan({
      traceId,
      spanId: rootId,
      name: key.name,
      startMs: t0,
      endMs: t0 + durationMs,
      attributes: { 'gen_ai.operation.name': key.operation, 'gen_ai.request.model': key.model },
      error: errorAt === 0 ? errorKind : undefined,
    });
    heap.push({ t: t0, seq: seq++, kind: 1, span: root });
    for (let c = 1; c <= nChildren; c++) {
      const s = t0 + rand() * durationMs * 0.5;
      const end = s + rand() * (t0 + durationMs - s) * 0.99;
      const child = makeSpan({
        traceId,
        spanId: hex(rand, 16),
        parentSpanId: rootId,
        name: c === 1 ? `chat ${key.model}` : `execute_tool t${c}`,
        startMs: s,
        endMs: end,
        error: errorAt === c ? errorKind : undefined,
      });
      heap.push({ t: s, seq: seq++, kind: 1, span: child });
      heap.push({ t: end, seq: seq++, kind: 2, span: child });
    }
    heap.push({ t: t0 + durationMs, seq: seq++, kind: 2, span: root });
    traces++;
    spans += nChildren + 1;
    onTrace({ traceId, key: k, durationMs, error, startMs: t0, spans: nChildren + 1 });
  }
  return { traces, spans, endMs: clock.t };
}

/** A `next` processor that records what reaches it, compactly, per trace. */
export class RecordingSink implements SpanProcessorLike {
  readonly traces = new Map<
    string,
    {
      spans: number;
      reason: string;
      adjustedCount: number;
      th: string | undefined;
      rootAttrs?: any;
    }
  >();
  spanCount = 0;
  flushed = 0;
  shutDown = 0;
  /** Optional callback with every span (for detailed tests). */
  constructor(private readonly onSpan?: (span: any) => void) {}
  onStart(): void {}
  onEnd(span: any): void {
    this.spanCount++;
    this.onSpan?.(span);
    const sc = span.spanContext();
    let t = this.traces.get(sc.traceId);
    if (!t) {
      const ot: string | undefined = sc.traceState?.get('ot');
      const th = ot
        ?.split(';')
        .find((p: string) => p.startsWith('th:'))
        ?.slice(3);
      t = {
        spans: 0,
        reason: span.attributes['sampling.reason'],
        adjustedCount: span.attributes['sampling.adjusted_count'],
        th,
      };
      this.traces.set(sc.traceId, t);
    }
    t.spans++;
    if (!span.parentSpanContext) t.rootAttrs = span.attributes;
  }
  async forceFlush(): Promise<void> {
    this.flushed++;
  }
  async shutdown(): Promise<void> {
    this.shutDown++;
  }
}

const ZERO_HR: [number, number] = [0, 0];
const ONE_MS_HR: [number, number] = [0, 1_000_000];
const OK_STATUS = { code: 0 };
const NO_ATTRS = {};
const ERROR_ATTRS = { 'error.type': 'Error' };
const EMPTY: never[] = [];
const RESOURCE = { attributes: {} };
const SCOPE = { name: 'light' };

/**
 * A minimal finished span for volume tests: ids from counters, shared immutable fields, a
 * prototype method for spanContext(). A million of these cost little to create.
 */
export class LightSpan {
  readonly kind = 0;
  readonly startTime = ZERO_HR;
  readonly endTime = ONE_MS_HR;
  readonly duration = ONE_MS_HR;
  readonly status = OK_STATUS;
  readonly links = EMPTY;
  readonly events = EMPTY;
  readonly ended = true;
  readonly resource = RESOURCE;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly attributes: Record<string, any>;
  readonly parentSpanContext:
    | { traceId: string; spanId: string; traceFlags: number; isRemote: boolean }
    | undefined;
  private readonly sc: { traceId: string; spanId: string; traceFlags: number };
  constructor(
    readonly name: string,
    traceId: string,
    spanId: string,
    parent: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean } | undefined,
    error: boolean,
  ) {
    this.sc = { traceId, spanId, traceFlags: 1 };
    this.parentSpanContext = parent;
    this.attributes = error ? ERROR_ATTRS : NO_ATTRS;
  }
  spanContext() {
    return this.sc;
  }
  /** The span's context as a parent of others. */
  asParent() {
    return { ...this.sc, isRemote: false };
  }
}

/** A 32-hex trace id from a counter, scrambled so the low 56 bits are well spread. */
export function counterTraceId(n: number): string {
  const h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const l = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return `${n.toString(16).padStart(16, '0')}${h.toString(16).padStart(8, '0')}${l.toString(16).padStart(8, '0')}`;
}
