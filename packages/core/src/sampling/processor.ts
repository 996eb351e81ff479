import {
  type Attributes,
  type Context,
  createTraceState,
  metrics,
  type ObservableResult,
  SpanStatusCode,
  type TraceState,
  trace,
} from '@opentelemetry/api';
import { logSwallowed } from '../guard.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
} from '../semconv.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.js';
import {
  ATTR_SAMPLE_RATE,
  ATTR_SAMPLING_ADJUSTED_COUNT,
  ATTR_SAMPLING_DECISION,
  ATTR_SAMPLING_ERROR,
  ATTR_SAMPLING_INCOMPLETE,
  ATTR_SAMPLING_KEY,
  ATTR_SAMPLING_LATENCY_THRESHOLD_MS,
  ATTR_SAMPLING_REASON,
  ATTR_SAMPLING_SLOW,
} from './attributes.js';
import { ForwardedSpan } from './forwarded-span.js';
import { LatencyTracker } from './latency.js';
import { RateController } from './rate.js';
import {
  ALWAYS_KEEP,
  maxThreshold,
  type OtState,
  parseOt,
  parseThreshold,
  passes,
  randomnessFromUniform,
  randomnessOf,
  type Threshold,
  thresholdForProbability,
  withThreshold,
} from './threshold.js';
import type {
  AdaptiveSamplingOptions,
  AdaptiveSamplingStats,
  ForcedDecisionCause,
  ReadableSpanLike,
  SamplingReason,
  SpanProcessorLike,
} from './types.js';

const SAMPLED = 1;
const MAX_KEY_LENGTH = 256;

/** Resolved option values (see {@link AdaptiveSamplingOptions} for meanings and defaults). */
export const ADAPTIVE_SAMPLING_DEFAULTS = {
  targetTracesPerSecond: 1,
  minRate: 0.01,
  maxRate: 0.05,
  latencyQuantile: 0.99,
  slowThresholdMs: 10_000,
  latencyMinSamples: 1000,
  latencyWindowMs: 300_000,
  maxKeys: 200,
  decisionWaitMs: 1000,
  maxTraceDurationMs: 300_000,
  maxBufferedTraces: 10_000,
  maxSpansPerTrace: 1000,
  maxBufferedSpans: 100_000,
  decisionCacheSize: 20_000,
  adaptationIntervalMs: 10_000,
  mode: 'sample' as 'sample' | 'annotate',
};

interface TraceBuffer {
  traceId: string;
  spans: ReadableSpanLike[];
  open: number;
  hasError: boolean;
  rootSpanId: string | undefined;
  /** The local root as started (still open): gives the key of a trace decided early. */
  rootStarted: ReadableSpanLike | undefined;
  root: ReadableSpanLike | undefined;
  firstSeen: number;
  rootEndedAt: number;
  decided: boolean;
}

/** A per-trace decision (internal; shared with the routing processor). */
export interface Decision {
  keep: boolean;
  reason: SamplingReason | undefined;
  threshold: Threshold;
  /** Incoming `ot` state and threshold, kept so a late error can turn a drop into a keep. */
  ot: OtState;
  incoming: Threshold | undefined;
  /** Attributes added to every forwarded span of the trace. */
  attributes: Attributes;
  /** Last (input trace state -> output trace state) pair, since a trace's spans share one. */
  tsIn: TraceState | undefined | null;
  tsOut: TraceState | undefined;
}

/**
 * A tail-sampling span processor: buffers each trace until its local root ends (plus
 * `decisionWaitMs`), then keeps it if any span failed, if the root was slower than the running
 * latency quantile for its key, or otherwise with an adaptive, consistent probability (trace
 * id randomness against an OTEP 235 threshold). Kept spans are forwarded to `next` carrying
 * `sampling.reason`, their adjusted count and `ot=th` in their trace state. See SAMPLING.md.
 */
export class AdaptiveSamplingSpanProcessor implements SpanProcessorLike {
  private readonly next: SpanProcessorLike;
  protected readonly o: typeof ADAPTIVE_SAMPLING_DEFAULTS;
  private readonly isError: (span: ReadableSpanLike) => boolean;
  private readonly keyOf: (span: ReadableSpanLike) => string;
  protected readonly now: () => number;
  protected readonly random: () => number;
  protected readonly latency: LatencyTracker;
  private readonly rate: RateController;

  private readonly buffers = new Map<string, TraceBuffer>();
  /** Traces whose root ended, in root-end order (so in due order). */
  private due: TraceBuffer[] = [];
  private dueHead = 0;
  private nextTimeoutAt = Number.POSITIVE_INFINITY;
  private endsSinceSweep = 0;
  /** The buffer used last: spans of one trace often start and end back to back. */
  private lastBuffer: TraceBuffer | undefined;
  private bufferedSpans = 0;
  private readonly decisions = new Map<string, object>();
  /** Trace ids of `decisions` in insertion order (a ring), for FIFO eviction. */
  private readonly decisionRing: (string | undefined)[];
  private decisionRingNext = 0;
  /** Annotate mode: per-trace error flag and local root id until the root ends. */
  private readonly annotations = new Map<string, { rootSpanId?: string; error: boolean }>();

  private timer: ReturnType<typeof setInterval> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private isShutdown = false;

  protected readonly counters = {
    tracesKept: { error: 0, slow: 0, baseline: 0, overflow: 0 } as Record<SamplingReason, number>,
    tracesDropped: 0,
    spansKept: 0,
    spansDropped: 0,
    lateSpansKept: 0,
    lateSpansDropped: 0,
    forced: {
      max_buffered_traces: 0,
      max_buffered_spans: 0,
      max_spans_per_trace: 0,
      max_trace_duration: 0,
      flush: 0,
    } as Record<ForcedDecisionCause, number>,
  };

  constructor(options: AdaptiveSamplingOptions) {
    if (!options || typeof options.next?.onEnd !== 'function') {
      throw new TypeError('AdaptiveSamplingSpanProcessor: `next` span processor is required');
    }
    this.next = options.next;
    const d = ADAPTIVE_SAMPLING_DEFAULTS;
    const pos = (v: number | undefined, def: number) =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : def;
    const minRate = Math.min(1, pos(options.minRate, d.minRate));
    const maxRate = Math.max(minRate, Math.min(1, pos(options.maxRate, d.maxRate)));
    const q = options.latencyQuantile;
    this.o = {
      targetTracesPerSecond: pos(options.targetTracesPerSecond, d.targetTracesPerSecond),
      minRate,
      maxRate,
      latencyQuantile: typeof q === 'number' && q > 0 && q < 1 ? q : d.latencyQuantile,
      slowThresholdMs: pos(options.slowThresholdMs, d.slowThresholdMs),
      latencyMinSamples: Math.max(
        1,
        Math.floor(pos(options.latencyMinSamples, d.latencyMinSamples)),
      ),
      latencyWindowMs: Math.max(1, pos(options.latencyWindowMs, d.latencyWindowMs)),
      maxKeys: Math.max(1, Math.floor(pos(options.maxKeys, d.maxKeys))),
      decisionWaitMs: pos(options.decisionWaitMs, d.decisionWaitMs),
      maxTraceDurationMs: Math.max(1, pos(options.maxTraceDurationMs, d.maxTraceDurationMs)),
      maxBufferedTraces: Math.max(
        1,
        Math.floor(pos(options.maxBufferedTraces, d.maxBufferedTraces)),
      ),
      maxSpansPerTrace: Math.max(1, Math.floor(pos(options.maxSpansPerTrace, d.maxSpansPerTrace))),
      maxBufferedSpans: Math.max(1, Math.floor(pos(options.maxBufferedSpans, d.maxBufferedSpans))),
      decisionCacheSize: Math.max(
        1,
        Math.floor(pos(options.decisionCacheSize, d.decisionCacheSize)),
      ),
      adaptationIntervalMs: Math.max(1, pos(options.adaptationIntervalMs, d.adaptationIntervalMs)),
      mode: options.mode === 'annotate' ? 'annotate' : 'sample',
    };
    this.decisionRing = new Array(this.o.decisionCacheSize);
    this.isError = options.isError ?? defaultIsError;
    this.keyOf = options.keyOf ?? defaultKeyOf;
    const clock = options.clock;
    this.now = clock ? () => clock.now() : () => performance.now();
    this.random = options.random ?? Math.random;
    this.latency = new LatencyTracker({
      quantile: this.o.latencyQuantile,
      windowMs: this.o.latencyWindowMs,
      slots: 10,
      minSamples: this.o.latencyMinSamples,
      alpha: 0.01,
      maxKeys: this.o.maxKeys,
      fallbackThresholdMs: this.o.slowThresholdMs,
    });
    this.rate = new RateController({
      targetPerSecond: this.o.targetTracesPerSecond,
      minRate: this.o.minRate,
      maxRate: this.o.maxRate,
      intervalMs: this.o.adaptationIntervalMs,
      emaWeight: 0.5,
      maxIncreaseFactor: 1.5,
      initialRate: this.o.maxRate,
    });
    const sweepMs =
      options.sweepIntervalMs ?? Math.min(1000, Math.max(50, this.o.decisionWaitMs / 2));
    if (sweepMs > 0) {
      this.timer = setInterval(() => this.sweepSafely(), sweepMs);
      this.timer.unref?.();
    }
    this.registerMetrics(options);
  }

  // --- SpanProcessor ---------------------------------------------------------------------

  onStart(span: any, parentContext: Context): void {
    try {
      this.next.onStart(span, parentContext);
    } catch (err) {
      logSwallowed('sampling: next.onStart', err);
    }
    if (this.isShutdown) return;
    try {
      const sc = span.spanContext();
      if ((sc.traceFlags & SAMPLED) === 0) return;
      if (this.o.mode === 'annotate') {
        if (isLocalRoot(span, parentContext))
          this.annotationFor(sc.traceId).rootSpanId ??= sc.spanId;
        return;
      }
      let buf = this.lastBuffer;
      if (buf === undefined || buf.decided || buf.traceId !== sc.traceId) {
        buf = this.buffers.get(sc.traceId);
        if (!buf) {
          if (this.decisions.has(sc.traceId)) return;
          buf = this.createBuffer(sc.traceId, this.now());
        }
        this.lastBuffer = buf;
      }
      buf.open++;
      if (buf.rootSpanId === undefined && isLocalRoot(span, parentContext)) {
        buf.rootSpanId = sc.spanId;
        buf.rootStarted = span;
      }
    } catch (err) {
      logSwallowed('sampling: onStart', err);
    }
  }

  onEnding(span: any): void {
    try {
      this.next.onEnding?.(span);
    } catch (err) {
      logSwallowed('sampling: next.onEnding', err);
    }
  }

  onEnd(span: ReadableSpanLike): void {
    if (this.isShutdown) return;
    try {
      const sc = span.spanContext();
      if ((sc.traceFlags & SAMPLED) === 0) {
        this.forward(span); // not sampled upstream: the next processor decides (it drops it)
        return;
      }
      if (this.o.mode === 'annotate') {
        this.annotateEnd(span);
        return;
      }
      // The clock is read only when something time-related happens (a new trace, a root
      // ending, a forced decision), plus every 64 spans for the sweep.
      let now = Number.NaN;
      const traceId = sc.traceId;
      let buf = this.lastBuffer;
      if (buf === undefined || buf.decided || buf.traceId !== traceId) {
        buf = this.buffers.get(traceId);
        if (buf === undefined) {
          const decided = this.decisions.get(traceId);
          if (decided !== undefined) {
            this.lateSpan(span, decided);
            return;
          }
          now = this.now();
          buf = this.createBuffer(traceId, now);
        }
        this.lastBuffer = buf;
      }
      if (!buf.hasError && this.checkError(span)) buf.hasError = true;
      buf.spans.push(span);
      this.bufferedSpans++;
      if (buf.open > 0) buf.open--;
      if (
        buf.root === undefined &&
        (buf.rootSpanId === undefined ? isLocalRoot(span) : buf.rootSpanId === sc.spanId)
      ) {
        if (Number.isNaN(now)) now = this.now();
        buf.root = span;
        buf.rootEndedAt = now;
        this.due.push(buf);
      }
      if (buf.spans.length >= this.o.maxSpansPerTrace) {
        if (Number.isNaN(now)) now = this.now();
        this.decide(buf, now, 'max_spans_per_trace');
      }
      if (this.bufferedSpans > this.o.maxBufferedSpans) {
        if (Number.isNaN(now)) now = this.now();
        while (
          this.bufferedSpans > this.o.maxBufferedSpans &&
          this.evictOne(now, 'max_buffered_spans')
        );
      }
      if (!Number.isNaN(now)) this.sweep(now);
      else if ((++this.endsSinceSweep & 63) === 0) this.sweep(this.now());
    } catch (err) {
      logSwallowed('sampling: onEnd', err);
      this.forward(span); // never lose a span to a bug of ours
    }
  }

  /** Decides every buffered trace and flushes `next`. Nothing kept is lost. */
  async forceFlush(): Promise<void> {
    this.flushBuffers();
    await this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.flushBuffers();
      this.isShutdown = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      await this.next.shutdown();
    })();
    return this.shutdownPromise;
  }

  // --- introspection ---------------------------------------------------------------------

  /** A snapshot of the processor's counters (the same numbers as the metrics). */
  stats(): AdaptiveSamplingStats {
    const c = this.counters;
    return {
      tracesKept: { ...c.tracesKept },
      tracesDropped: c.tracesDropped,
      spansKept: c.spansKept,
      spansDropped: c.spansDropped,
      lateSpansKept: c.lateSpansKept,
      lateSpansDropped: c.lateSpansDropped,
      forcedDecisions: { ...c.forced },
      bufferedTraces: this.buffers.size + this.annotations.size,
      bufferedSpans: this.bufferedSpans,
      baselineRate: this.rate.rate,
      latencyKeys: this.latency.keyCount,
    };
  }

  /** Takes the decisions that are due now (the background timer calls this). */
  sweepNow(): void {
    this.sweepSafely();
  }

  // --- buffering ---------------------------------------------------------------------------

  private createBuffer(traceId: string, now: number): TraceBuffer {
    while (
      this.buffers.size >= this.o.maxBufferedTraces &&
      this.evictOne(now, 'max_buffered_traces')
    );
    const buf: TraceBuffer = {
      traceId,
      spans: [],
      open: 0,
      hasError: false,
      rootSpanId: undefined,
      rootStarted: undefined,
      root: undefined,
      firstSeen: now,
      rootEndedAt: Number.NaN,
      decided: false,
    };
    this.buffers.set(traceId, buf);
    if (this.nextTimeoutAt === Number.POSITIVE_INFINITY) {
      this.nextTimeoutAt = now + this.o.maxTraceDurationMs;
    }
    return buf;
  }

  /** Decides one trace early: a complete one waiting out its grace period if any, else the oldest. */
  private evictOne(now: number, cause: ForcedDecisionCause): boolean {
    const due = this.nextDue();
    if (due) {
      this.dueHead++;
      this.decide(due, now, cause);
      return true;
    }
    const oldest = this.buffers.values().next();
    if (oldest.done) return false;
    this.decide(oldest.value, now, cause);
    return true;
  }

  private nextDue(): TraceBuffer | undefined {
    while (this.dueHead < this.due.length) {
      const b = this.due[this.dueHead];
      if (!b.decided) return b;
      this.dueHead++;
    }
    return undefined;
  }

  private sweepSafely(): void {
    try {
      this.sweep(this.now());
    } catch (err) {
      logSwallowed('sampling: sweep', err);
    }
  }

  private sweep(now: number): void {
    const wait = this.o.decisionWaitMs;
    for (let b = this.nextDue(); b && b.rootEndedAt + wait <= now; b = this.nextDue()) {
      this.dueHead++;
      this.decide(b, now, undefined);
    }
    if (this.dueHead > 1024 && this.dueHead * 2 > this.due.length) {
      this.due = this.due.slice(this.dueHead);
      this.dueHead = 0;
    }
    if (now >= this.nextTimeoutAt) {
      this.nextTimeoutAt = Number.POSITIVE_INFINITY;
      for (const b of this.buffers.values()) {
        const deadline = b.firstSeen + this.o.maxTraceDurationMs;
        if (deadline > now) {
          this.nextTimeoutAt = deadline;
          break;
        }
        this.decide(b, now, 'max_trace_duration');
      }
    }
    this.rate.tick(now);
  }

  private flushBuffers(): void {
    const now = this.now();
    try {
      for (const b of [...this.buffers.values()]) this.decide(b, now, 'flush');
      this.due = [];
      this.dueHead = 0;
      this.nextTimeoutAt = Number.POSITIVE_INFINITY;
    } catch (err) {
      logSwallowed('sampling: flush', err);
    }
  }

  // --- deciding ------------------------------------------------------------------------------

  private decide(buf: TraceBuffer, now: number, cause: ForcedDecisionCause | undefined): void {
    if (buf.decided) return;
    try {
      this.decideBuffered(buf, now, cause);
    } finally {
      // A decided buffer may still sit in the due queue for a while: let its spans go now.
      buf.spans = NO_SPANS;
      buf.root = undefined;
      buf.rootStarted = undefined;
    }
  }

  private decideBuffered(
    buf: TraceBuffer,
    now: number,
    cause: ForcedDecisionCause | undefined,
  ): void {
    buf.decided = true;
    this.buffers.delete(buf.traceId);
    this.bufferedSpans -= buf.spans.length;
    if (cause) this.counters.forced[cause]++;

    const rootEnded = buf.root !== undefined;
    const incomplete = !rootEnded || cause === 'max_spans_per_trace';
    const ref = buf.root ?? buf.spans[0];
    const { ot, incoming } = incomingOf(ref?.spanContext().traceState);

    let slow = false;
    let thresholdMs: number | undefined;
    let key: string | undefined;
    if (buf.root) {
      key = this.safeKey(buf.root);
      const durationMs = hrToMs(buf.root.duration);
      thresholdMs = this.latency.observe(key, durationMs, now);
      slow = durationMs > thresholdMs;
    } else if (cause === 'max_trace_duration') {
      slow = true; // still running after maxTraceDurationMs: slow by any standard
    } else if (buf.rootStarted) {
      // Decided early with the root still open: slow if it has already run longer than the
      // threshold for its key (not recorded in the sketch: the duration is censored).
      key = this.safeKey(buf.rootStarted);
      thresholdMs = this.latency.peek(key, now);
      slow = now - buf.firstSeen > thresholdMs;
    }

    this.applyPolicy({
      traceId: buf.traceId,
      spans: buf.spans,
      root: buf.root,
      hasError: buf.hasError,
      slow,
      thresholdMs,
      key,
      incomplete,
      cause,
      ot,
      incoming,
      now,
    });
  }

  /**
   * Takes the keep/drop decision for a trace whose facts are known, and forwards what is kept.
   * Overridden by {@link TraceRoutingSpanProcessor} (one decision per destination).
   * @internal
   */
  protected applyPolicy(t: TraceFacts): void {
    const buf = t;
    const { slow, incomplete, cause, ot, incoming, now } = t;
    let keep: boolean;
    let reason: SamplingReason | undefined;
    let threshold: Threshold;
    if (buf.hasError || slow) {
      keep = true;
      reason = buf.hasError ? 'error' : 'slow';
      threshold = incoming ?? ALWAYS_KEEP;
    } else {
      const pTail = this.rate.observe(now);
      threshold = thresholdForProbability((incoming?.probability ?? 1) * pTail);
      if (incoming) threshold = maxThreshold(threshold, incoming);
      const r = randomnessOf(buf.traceId, ot) ?? randomnessFromUniform(safeRandom(this.random));
      keep = passes(r, threshold);
      reason =
        incomplete &&
        (cause === 'max_buffered_traces' ||
          cause === 'max_buffered_spans' ||
          cause === 'max_spans_per_trace')
          ? 'overflow'
          : 'baseline';
    }

    if (!keep) {
      this.counters.tracesDropped++;
      this.counters.spansDropped += buf.spans.length;
      this.remember(buf.traceId, DROPPED);
      return;
    }
    this.counters.tracesKept[reason!]++;
    const decision = this.keptDecision(reason!, threshold, ot, incoming, incomplete);
    this.remember(buf.traceId, decision);
    const rootAttrs = this.rootAttributes(t, decision);
    for (const span of buf.spans) {
      this.counters.spansKept++;
      this.forward(this.stamp(span, decision, span === buf.root ? rootAttrs : undefined));
    }
  }

  /** Attributes of a kept trace's local root: the decision's plus the slow/error facts. */
  protected rootAttributes(t: TraceFacts, decision: Decision): Attributes | undefined {
    return t.root
      ? {
          ...decision.attributes,
          [ATTR_SAMPLING_SLOW]: t.slow,
          [ATTR_SAMPLING_ERROR]: t.hasError,
          ...(t.thresholdMs !== undefined
            ? { [ATTR_SAMPLING_LATENCY_THRESHOLD_MS]: round3(t.thresholdMs) }
            : {}),
          ...(t.key !== undefined ? { [ATTR_SAMPLING_KEY]: t.key } : {}),
        }
      : undefined;
  }

  protected keptDecision(
    reason: SamplingReason,
    threshold: Threshold,
    ot: OtState,
    incoming: Threshold | undefined,
    incomplete: boolean,
  ): Decision {
    const attributes: Attributes = {
      [ATTR_SAMPLING_REASON]: reason,
      [ATTR_SAMPLING_ADJUSTED_COUNT]: threshold.adjustedCount,
      [ATTR_SAMPLE_RATE]: Math.max(1, Math.round(threshold.adjustedCount)),
    };
    if (incomplete) attributes[ATTR_SAMPLING_INCOMPLETE] = true;
    return {
      keep: true,
      reason,
      threshold,
      ot,
      incoming,
      attributes,
      tsIn: null,
      tsOut: undefined,
    };
  }

  /** A span of a trace decided earlier (`decided` is what {@link remember} stored). */
  protected lateSpan(span: ReadableSpanLike, decided: object): void {
    let decision = decided as Decision;
    if (!decision.keep && this.checkError(span)) {
      // An error after the trace was dropped: keep it (and what follows) rather than lose it.
      const { ot, incoming } = incomingOf(span.spanContext().traceState);
      decision = this.keptDecision('error', incoming ?? ALWAYS_KEEP, ot, incoming, true);
      this.remember(span.spanContext().traceId, decision);
      this.counters.tracesKept.error++;
    }
    if (decision.keep) {
      this.counters.lateSpansKept++;
      this.counters.spansKept++;
      this.forward(this.stamp(span, decision, undefined));
    } else {
      this.counters.lateSpansDropped++;
      this.counters.spansDropped++;
    }
  }

  /** Remembers a decision; the oldest one is forgotten once `decisionCacheSize` are held. */
  protected remember(traceId: string, decision: object): void {
    const d = this.decisions;
    const had = d.has(traceId);
    d.set(traceId, decision);
    if (had) return; // a late error turned a drop into a keep: same ring slot
    const ring = this.decisionRing;
    const slot = this.decisionRingNext;
    const evicted = ring[slot];
    if (evicted !== undefined) d.delete(evicted);
    ring[slot] = traceId;
    this.decisionRingNext = slot + 1 === ring.length ? 0 : slot + 1;
  }

  protected stamp(
    span: ReadableSpanLike,
    decision: Decision,
    rootAttrs: Attributes | undefined,
  ): ForwardedSpan {
    const tsIn = span.spanContext().traceState;
    let tsOut: TraceState | undefined;
    if (decision.tsIn !== null && decision.tsIn === tsIn) {
      tsOut = decision.tsOut;
    } else {
      const { ot } = incomingOf(tsIn);
      tsOut = withThreshold(tsIn ?? createTraceState(), ot, decision.threshold);
      decision.tsIn = tsIn;
      decision.tsOut = tsOut;
    }
    return new ForwardedSpan(span, rootAttrs ?? decision.attributes, tsOut);
  }

  private forward(span: ReadableSpanLike): void {
    try {
      this.next.onEnd(span);
    } catch (err) {
      logSwallowed('sampling: next.onEnd', err);
    }
  }

  // --- annotate mode -------------------------------------------------------------------------

  private annotationFor(traceId: string): { rootSpanId?: string; error: boolean } {
    let a = this.annotations.get(traceId);
    if (!a) {
      if (this.annotations.size >= this.o.maxBufferedTraces) {
        const oldest = this.annotations.keys().next();
        if (!oldest.done) this.annotations.delete(oldest.value);
        this.counters.forced.max_buffered_traces++;
      }
      a = { error: false };
      this.annotations.set(traceId, a);
    }
    return a;
  }

  private annotateEnd(span: ReadableSpanLike): void {
    const sc = span.spanContext();
    const a = this.annotations.get(sc.traceId);
    const error = this.checkError(span);
    const isRoot = a?.rootSpanId !== undefined ? a.rootSpanId === sc.spanId : isLocalRoot(span);
    if (!isRoot) {
      if (error) this.annotationFor(sc.traceId).error = true;
      this.counters.spansKept++;
      this.forward(span);
      return;
    }
    this.annotations.delete(sc.traceId);
    const now = this.now();
    const hasError = error || (a?.error ?? false);
    const key = this.safeKey(span);
    const durationMs = hrToMs(span.duration);
    const thresholdMs = this.latency.observe(key, durationMs, now);
    const slow = durationMs > thresholdMs;
    let reason: SamplingReason | undefined = hasError ? 'error' : slow ? 'slow' : undefined;
    if (!reason) {
      const { ot, incoming } = incomingOf(sc.traceState);
      const t = thresholdForProbability((incoming?.probability ?? 1) * this.rate.observe(now));
      const r = randomnessOf(sc.traceId, ot) ?? randomnessFromUniform(safeRandom(this.random));
      if (passes(r, t)) reason = 'baseline';
    }
    if (reason) this.counters.tracesKept[reason]++;
    else this.counters.tracesDropped++;
    this.counters.spansKept++;
    const attrs: Attributes = {
      [ATTR_SAMPLING_DECISION]: reason ? 'keep' : 'drop',
      [ATTR_SAMPLING_SLOW]: slow,
      [ATTR_SAMPLING_ERROR]: hasError,
      [ATTR_SAMPLING_LATENCY_THRESHOLD_MS]: round3(thresholdMs),
      [ATTR_SAMPLING_KEY]: key,
    };
    if (reason) attrs[ATTR_SAMPLING_REASON] = reason;
    this.forward(new ForwardedSpan(span, attrs, undefined));
    this.sweep(now);
  }

  // --- helpers -------------------------------------------------------------------------------

  protected checkError(span: ReadableSpanLike): boolean {
    try {
      return this.isError(span);
    } catch (err) {
      logSwallowed('sampling: isError', err);
      return defaultIsError(span);
    }
  }

  private safeKey(span: ReadableSpanLike): string {
    try {
      const k = String(this.keyOf(span));
      return k.length > MAX_KEY_LENGTH ? k.slice(0, MAX_KEY_LENGTH) : k;
    } catch (err) {
      logSwallowed('sampling: keyOf', err);
      return span.name;
    }
  }

  /** The baseline probability reported as a metric (undefined: not reported). */
  protected baselineProbability(): number | undefined {
    return this.rate.rate;
  }

  private registerMetrics(options: AdaptiveSamplingOptions): void {
    try {
      const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
        PACKAGE_NAME,
        PACKAGE_VERSION,
      );
      const c = this.counters;
      meter
        .createObservableCounter('genai_otel.sampling.traces', {
          description: 'Traces decided by the adaptive sampler, by decision and reason',
          unit: '{trace}',
        })
        .addCallback((r: ObservableResult) => {
          for (const reason of Object.keys(c.tracesKept) as SamplingReason[]) {
            r.observe(c.tracesKept[reason], {
              'sampling.decision': 'kept',
              [ATTR_SAMPLING_REASON]: reason,
            });
          }
          r.observe(c.tracesDropped, { 'sampling.decision': 'dropped' });
        });
      meter
        .createObservableCounter('genai_otel.sampling.spans', {
          description: 'Spans forwarded or dropped by the adaptive sampler',
          unit: '{span}',
        })
        .addCallback((r: ObservableResult) => {
          r.observe(c.spansKept - c.lateSpansKept, {
            'sampling.decision': 'kept',
            'sampling.late': false,
          });
          r.observe(c.lateSpansKept, { 'sampling.decision': 'kept', 'sampling.late': true });
          r.observe(c.spansDropped - c.lateSpansDropped, {
            'sampling.decision': 'dropped',
            'sampling.late': false,
          });
          r.observe(c.lateSpansDropped, { 'sampling.decision': 'dropped', 'sampling.late': true });
        });
      meter
        .createObservableCounter('genai_otel.sampling.forced_decisions', {
          description: 'Decisions taken before a trace was complete, by cause',
          unit: '{trace}',
        })
        .addCallback((r: ObservableResult) => {
          for (const cause of Object.keys(c.forced) as ForcedDecisionCause[]) {
            r.observe(c.forced[cause], { 'sampling.cause': cause });
          }
        });
      meter
        .createObservableGauge('genai_otel.sampling.buffered_traces', {
          description: 'Traces currently buffered awaiting a decision',
          unit: '{trace}',
        })
        .addCallback((r: ObservableResult) => r.observe(this.buffers.size + this.annotations.size));
      meter
        .createObservableGauge('genai_otel.sampling.buffered_spans', {
          description: 'Spans currently buffered awaiting a decision',
          unit: '{span}',
        })
        .addCallback((r: ObservableResult) => r.observe(this.bufferedSpans));
      meter
        .createObservableGauge('genai_otel.sampling.baseline_probability', {
          description: 'Current probability applied to fast, successful traces',
          unit: '1',
        })
        .addCallback((r: ObservableResult) => {
          const p = this.baselineProbability();
          if (p !== undefined) r.observe(p);
        });
    } catch (err) {
      logSwallowed('sampling: metrics', err);
    }
  }
}

// --- module helpers ---------------------------------------------------------------------------

/** Span list of decided buffers (frozen: nothing may be added after a decision). */
const NO_SPANS: ReadableSpanLike[] = Object.freeze([]) as unknown as ReadableSpanLike[];

/** The decision shared by every dropped trace (nothing per trace needs remembering). */
export const DROPPED: Decision = Object.freeze({
  keep: false,
  reason: undefined,
  threshold: ALWAYS_KEEP,
  ot: { rest: [] },
  incoming: undefined,
  attributes: {},
  tsIn: null,
  tsOut: undefined,
}) as Decision;

/** What the buffering stage knows about a trace when it is decided (input of the policy). */
export interface TraceFacts {
  traceId: string;
  spans: ReadableSpanLike[];
  /** The local root, when it ended. */
  root: ReadableSpanLike | undefined;
  hasError: boolean;
  slow: boolean;
  thresholdMs: number | undefined;
  key: string | undefined;
  incomplete: boolean;
  cause: ForcedDecisionCause | undefined;
  /** Incoming `ot` state and threshold (head sampling probability). */
  ot: OtState;
  incoming: Threshold | undefined;
  now: number;
}

interface Incoming {
  ot: OtState;
  incoming: Threshold | undefined;
}
const NO_INCOMING: Incoming = { ot: { rest: [] }, incoming: undefined };
/** Parsed `ot` members by their raw value: traces of one head sampler share a handful. */
const incomingCache = new Map<string, Incoming>();

/** The `ot` member of a trace state and the threshold it carries (cached, never throws). */
export function incomingOf(traceState: TraceState | undefined): Incoming {
  if (!traceState) return NO_INCOMING;
  let raw: string | undefined;
  try {
    raw = traceState.get('ot');
  } catch {
    return NO_INCOMING;
  }
  if (raw === undefined) return NO_INCOMING;
  let hit = incomingCache.get(raw);
  if (!hit) {
    const ot = parseOt(raw);
    hit = { ot, incoming: parseThreshold(ot.th) };
    if (incomingCache.size >= 1024) incomingCache.clear();
    incomingCache.set(raw, hit);
  }
  return hit;
}

/** Default error test: status ERROR, or an `error.type` attribute. */
export function defaultIsError(span: ReadableSpanLike): boolean {
  return (
    span.status?.code === SpanStatusCode.ERROR || span.attributes?.[ATTR_ERROR_TYPE] !== undefined
  );
}

/** Default latency key: root span name, `gen_ai.operation.name` and `gen_ai.request.model`. */
export function defaultKeyOf(span: ReadableSpanLike): string {
  const a = span.attributes ?? {};
  const op = a[ATTR_GEN_AI_OPERATION_NAME];
  const model = a[ATTR_GEN_AI_REQUEST_MODEL];
  return `${span.name}|${op === undefined ? '' : String(op)}|${model === undefined ? '' : String(model)}`;
}

export function isLocalRoot(span: any, parentContext?: Context): boolean {
  const parent = span.parentSpanContext;
  if (parent) return parent.isRemote === true;
  if (span.parentSpanId) {
    // SDK 1.x: only the parent id is on the span; the context says whether it was remote.
    const pc = parentContext ? trace.getSpanContext(parentContext) : undefined;
    return pc !== undefined && pc.spanId === span.parentSpanId && pc.isRemote === true;
  }
  return true;
}

export function hrToMs(hr: readonly [number, number] | undefined): number {
  return hr ? hr[0] * 1e3 + hr[1] / 1e6 : 0;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function safeRandom(random: () => number): number {
  try {
    const u = random();
    return u >= 0 && u < 1 ? u : Math.random();
  } catch {
    return Math.random();
  }
}
