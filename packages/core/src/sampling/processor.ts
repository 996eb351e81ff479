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
import { type LogRecordHolder, TraceSampledLogRecordProcessor } from './log-records.js';
import { RateController } from './rate.js';
import {
  ALWAYS_KEEP,
  maxThreshold,
  NO_OT,
  type OtState,
  parseOt,
  parseThreshold,
  passes,
  randomnessFromUniform,
  type Threshold,
  thresholdForProbability,
  traceIdPasses,
  withThreshold,
} from './threshold.js';
import { TraceTable } from './trace-table.js';
import type {
  AdaptiveSamplingOptions,
  AdaptiveSamplingStats,
  ForcedDecisionCause,
  LogRecordProcessorLike,
  ReadableSpanLike,
  SamplingReason,
  SpanProcessorLike,
  TraceSampledLogsOptions,
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
  maxBufferedLogRecords: 10_000,
  decisionCacheSize: 20_000,
  adaptationIntervalMs: 10_000,
  mode: 'sample' as 'sample' | 'annotate',
};

/**
 * A trace awaiting its decision. Buffers are pooled: once a trace is decided its buffer is
 * emptied and reused for a later trace, so buffering allocates nothing per trace in steady
 * state. A buffer is also the policy's input ({@link TraceFacts}): the facts are filled in
 * when the trace is decided.
 */
class TraceBuffer implements TraceFacts {
  traceId = '';
  /** The trace id's hash in the processor's {@link TraceTable} (computed once per trace). */
  hash = 0;
  /** Spans `[0, spanCount)`; the array keeps its capacity between traces (it is pooled). */
  spans: ReadableSpanLike[] = [];
  spanCount = 0;
  hasError = false;
  rootSpanId: string | undefined = undefined;
  /** The local root as started (still open): gives the key of a trace decided early. */
  rootStarted: ReadableSpanLike | undefined = undefined;
  root: ReadableSpanLike | undefined = undefined;
  firstSeen = 0;
  rootEndedAt = Number.NaN;
  /** Read from the root when it ends (while it is fresh in memory), used when deciding. */
  rootDurationMs = 0;
  rootKey: string | undefined = undefined;
  /**
   * Log records held with the trace (see `logRecordProcessor`), as flat triples: the records
   * processor that handed it over, the record, its context. Allocated for traces that have any.
   */
  logRecords: unknown[] | undefined = undefined;
  decided = false;
  /** The decision replaced this buffer in the processor's map. */
  remembered = false;
  /** Buffered traces in creation order (so in `maxTraceDurationMs` deadline order). */
  older: TraceBuffer | undefined = undefined;
  newer: TraceBuffer | undefined = undefined;
  /** Traces whose root ended, in root-end order (so in `decisionWaitMs` due order). */
  inDue = false;
  duePrev: TraceBuffer | undefined = undefined;
  dueNext: TraceBuffer | undefined = undefined;
  // Facts, set when the trace is decided.
  slow = false;
  thresholdMs: number | undefined = undefined;
  key: string | undefined = undefined;
  incomplete = false;
  cause: ForcedDecisionCause | undefined = undefined;
  ot: OtState = NO_OT;
  incoming: Threshold | undefined = undefined;
  now = 0;
}

/** Most empty buffers kept for reuse, and the largest span array a pooled buffer keeps. */
const POOL_SIZE = 256;
/** Root names whose latency key is cached (the cache is cleared when it fills up). */
const KEY_CACHE_SIZE = 512;
const POOLED_SPANS_CAPACITY = 64;

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
export class AdaptiveSamplingSpanProcessor implements SpanProcessorLike, LogRecordHolder {
  private readonly next: SpanProcessorLike;
  protected readonly o: typeof ADAPTIVE_SAMPLING_DEFAULTS;
  private readonly isError: (span: ReadableSpanLike) => boolean;
  private readonly keyOf: (span: ReadableSpanLike) => string;
  protected readonly now: () => number;
  protected readonly random: () => number;
  protected readonly latency: LatencyTracker;
  private readonly rate: RateController;

  /**
   * Every trace the processor knows, by trace id: a {@link TraceBuffer} while it is buffered,
   * then its decision (what {@link remember} stored) until `decisionCacheSize` later decisions
   * push it out. One map, so a span costs one lookup whether its trace is new, buffered or
   * decided (and consecutive spans of one trace none: see `lastBuffer`).
   */
  private readonly traces: TraceTable<TraceBuffer | object>;
  private bufferedTraces = 0;
  /** Oldest and newest buffered traces (creation order). */
  private oldest: TraceBuffer | undefined;
  private newest: TraceBuffer | undefined;
  /** First and last traces whose root ended (due order). */
  private dueFirst: TraceBuffer | undefined;
  private dueLast: TraceBuffer | undefined;
  private endsSinceSweep = 0;
  /** The buffer used last (always an undecided one): spans of a trace come back to back. */
  private lastBuffer: TraceBuffer | undefined;
  /** The buffer {@link decide} is deciding (its trace id maps to it until remembered). */
  private deciding: TraceBuffer | undefined;
  private bufferedSpans = 0;
  private bufferedLogRecords = 0;
  /** Empty buffers ready for reuse. */
  private readonly pool: TraceBuffer[] = [];
  /** Trace ids of decided traces in decision order (a ring), for FIFO eviction. */
  private readonly decisionRing: (string | undefined)[];
  private readonly decisionRingHashes: Int32Array;
  private decisionRingNext = 0;
  /** Latency keys of recent roots by root name (default `keyOf` only; see {@link keyFor}). */
  private readonly keyCache = new Map<string, { op: unknown; model: unknown; key: string }>();
  /** The last complete kept decision per reason (see {@link keptDecision}). */
  private readonly keptCache: Partial<Record<SamplingReason, Decision>> = {};
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
    logRecordsKept: 0,
    logRecordsDropped: 0,
    forced: {
      max_buffered_traces: 0,
      max_buffered_spans: 0,
      max_spans_per_trace: 0,
      max_trace_duration: 0,
      max_buffered_log_records: 0,
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
      maxBufferedLogRecords: Math.max(
        1,
        Math.floor(pos(options.maxBufferedLogRecords, d.maxBufferedLogRecords)),
      ),
      decisionCacheSize: Math.max(
        1,
        Math.floor(pos(options.decisionCacheSize, d.decisionCacheSize)),
      ),
      adaptationIntervalMs: Math.max(1, pos(options.adaptationIntervalMs, d.adaptationIntervalMs)),
      mode: options.mode === 'annotate' ? 'annotate' : 'sample',
    };
    this.decisionRing = new Array(this.o.decisionCacheSize);
    this.decisionRingHashes = new Int32Array(this.o.decisionCacheSize);
    // Starts small and doubles with the traffic (to 64K slots, 1.3 MB, at the default limits),
    // so a quiet application does not pay for the limits up front.
    this.traces = new TraceTable(1024);
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
      // Only local roots matter when spans start: a span with a local parent belongs to a
      // trace its root already announced (or, if not, its end creates the buffer), so it
      // costs nothing here, not even a read of its span context.
      const parent = span.parentSpanContext;
      if (parent !== undefined) {
        if (parent.isRemote !== true) return;
      } else if (span.parentSpanId !== undefined && !isLocalRoot(span, parentContext)) return;
      const sc = span.spanContext();
      if ((sc.traceFlags & SAMPLED) === 0) return;
      if (this.o.mode === 'annotate') {
        this.annotationFor(sc.traceId).rootSpanId ??= sc.spanId;
        return;
      }
      const traceId: string = sc.traceId;
      let buf = this.lastBuffer;
      if (buf === undefined || buf.traceId !== traceId) {
        const h = this.traces.hash(traceId);
        const known = this.traces.getWith(traceId, h);
        if (known === undefined) buf = this.createBuffer(traceId, h, this.now());
        else if (known instanceof TraceBuffer && !known.decided) buf = known;
        else return; // already decided: its spans follow the decision when they end
        this.lastBuffer = buf;
      }
      if (buf.rootSpanId === undefined) {
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
      // Per span: find the buffer (usually the last one used), test for an error, append.
      // The clock is read only when something time-related happens (a new trace, a root
      // ending, a forced decision), plus every 64 spans for the sweep.
      let now = Number.NaN;
      const traceId = sc.traceId;
      let buf = this.lastBuffer;
      if (buf === undefined || buf.traceId !== traceId) {
        const h = this.traces.hash(traceId);
        const known = this.traces.getWith(traceId, h);
        if (known === undefined) {
          now = this.now();
          buf = this.createBuffer(traceId, h, now);
        } else if (known instanceof TraceBuffer) {
          if (known.decided) {
            // Ended by `next` while this very trace is being decided: pass it on as is.
            this.forward(span);
            return;
          }
          buf = known;
        } else {
          this.lateSpan(span, known);
          return;
        }
        this.lastBuffer = buf;
      }
      if (!buf.hasError && this.checkError(span)) buf.hasError = true;
      buf.spans[buf.spanCount++] = span;
      this.bufferedSpans++;
      if (
        buf.root === undefined &&
        (buf.rootSpanId === undefined ? isLocalRoot(span) : buf.rootSpanId === sc.spanId)
      ) {
        if (Number.isNaN(now)) now = this.now();
        buf.root = span;
        buf.rootEndedAt = now;
        // What the decision needs from the root, read now rather than when the trace is
        // decided (up to decisionWaitMs later, when the span is no longer in the CPU caches).
        buf.rootDurationMs = hrToMs(span.duration);
        buf.rootKey = this.keyFor(span);
        const inc = incomingOf(sc.traceState);
        buf.ot = inc.ot;
        buf.incoming = inc.incoming;
        this.linkDue(buf);
      }
      if (buf.spanCount >= this.o.maxSpansPerTrace) {
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

  // --- log records that follow their trace ---------------------------------------------------

  /**
   * A LogRecordProcessor to put in front of your exporting one (`BatchLogRecordProcessor`):
   * GenAI content events (or the records `match` selects) of a trace this processor buffers
   * are held with the trace and forwarded to `next` only if the trace is kept; records of a
   * decided trace follow its decision; every other record passes straight through. Call it
   * once per log pipeline. In `annotate` mode every record passes through.
   */
  logRecordProcessor(
    next: LogRecordProcessorLike,
    options?: TraceSampledLogsOptions,
  ): TraceSampledLogRecordProcessor {
    return new TraceSampledLogRecordProcessor(this, next, options);
  }

  /** @internal See {@link LogRecordHolder.holdLogRecord}. */
  holdLogRecord(
    gate: TraceSampledLogRecordProcessor,
    traceId: string,
    logRecord: unknown,
    context: Context | undefined,
  ): boolean {
    if (this.isShutdown || this.o.mode === 'annotate') return false;
    const h = this.traces.hash(traceId);
    const known = this.traces.getWith(traceId, h);
    if (known === undefined) return false; // not a trace of ours (or long forgotten)
    if (known instanceof TraceBuffer) {
      if (known.decided) return false; // emitted while its trace is being decided
      if (known.logRecords === undefined) known.logRecords = [];
      known.logRecords.push(gate, logRecord, context);
      this.bufferedLogRecords++;
      if (this.bufferedLogRecords > this.o.maxBufferedLogRecords) {
        const now = this.now();
        while (
          this.bufferedLogRecords > this.o.maxBufferedLogRecords &&
          this.evictOne(now, 'max_buffered_log_records')
        );
      }
      return true;
    }
    if (this.keepsLogRecords(known)) {
      this.counters.logRecordsKept++;
      return false;
    }
    this.counters.logRecordsDropped++;
    return true;
  }

  /** @internal Decides every buffered trace (a log pipeline is flushing or shutting down). */
  decideAllBuffered(): void {
    this.flushBuffers();
  }

  /** Whether a remembered decision keeps the trace's log records (any destination keeps it). */
  protected keepsLogRecords(decided: object): boolean {
    return (decided as Decision).keep === true;
  }

  /** Forwards or drops the log records of a trace just decided. */
  private releaseLogRecords(buf: TraceBuffer): void {
    const held = buf.logRecords!;
    buf.logRecords = undefined;
    const n = held.length / 3;
    this.bufferedLogRecords -= n;
    let keep = true; // if the policy failed to decide, forward: never lose a record to a bug of ours
    try {
      if (buf.remembered) keep = this.keepsLogRecords(this.traces.getWith(buf.traceId, buf.hash)!);
    } catch (err) {
      logSwallowed('sampling: log records', err);
    }
    if (!keep) {
      this.counters.logRecordsDropped += n;
      return;
    }
    this.counters.logRecordsKept += n;
    for (let i = 0; i < held.length; i += 3) {
      (held[i] as TraceSampledLogRecordProcessor).forward(held[i + 1], held[i + 2] as Context);
    }
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
      bufferedTraces: this.bufferedTraces + this.annotations.size,
      bufferedSpans: this.bufferedSpans,
      logRecordsKept: c.logRecordsKept,
      logRecordsDropped: c.logRecordsDropped,
      bufferedLogRecords: this.bufferedLogRecords,
      baselineRate: this.rate.rate,
      latencyKeys: this.latency.keyCount,
    };
  }

  /** Takes the decisions that are due now (the background timer calls this). */
  sweepNow(): void {
    this.sweepSafely();
  }

  // --- buffering ---------------------------------------------------------------------------

  private createBuffer(traceId: string, hash: number, now: number): TraceBuffer {
    while (
      this.bufferedTraces >= this.o.maxBufferedTraces &&
      this.evictOne(now, 'max_buffered_traces')
    );
    const buf = this.pool.pop() ?? new TraceBuffer();
    buf.traceId = traceId;
    buf.hash = hash;
    buf.firstSeen = now;
    this.traces.setWith(traceId, hash, buf);
    this.bufferedTraces++;
    // Append to the creation-order list.
    buf.older = this.newest;
    if (this.newest) this.newest.newer = buf;
    else this.oldest = buf;
    this.newest = buf;
    return buf;
  }

  private linkDue(buf: TraceBuffer): void {
    buf.inDue = true;
    buf.duePrev = this.dueLast;
    if (this.dueLast) this.dueLast.dueNext = buf;
    else this.dueFirst = buf;
    this.dueLast = buf;
  }

  /** Takes a buffer out of both lists (it is being decided). */
  private unlink(buf: TraceBuffer): void {
    const { older, newer } = buf;
    if (older) older.newer = newer;
    else if (this.oldest === buf) this.oldest = newer;
    if (newer) newer.older = older;
    else if (this.newest === buf) this.newest = older;
    buf.older = buf.newer = undefined;
    if (buf.inDue) {
      const { duePrev, dueNext } = buf;
      if (duePrev) duePrev.dueNext = dueNext;
      else this.dueFirst = dueNext;
      if (dueNext) dueNext.duePrev = duePrev;
      else this.dueLast = duePrev;
      buf.duePrev = buf.dueNext = undefined;
      buf.inDue = false;
    }
  }

  /** Empties a decided buffer (letting its spans go) and keeps it for reuse. */
  private recycle(buf: TraceBuffer): void {
    if (this.lastBuffer === buf) this.lastBuffer = undefined;
    const spans = buf.spans;
    for (let i = 0; i < buf.spanCount; i++) spans[i] = undefined as unknown as ReadableSpanLike;
    if (spans.length > POOLED_SPANS_CAPACITY) buf.spans = [];
    buf.traceId = '';
    buf.spanCount = 0;
    buf.hasError = false;
    buf.rootSpanId = undefined;
    buf.rootStarted = undefined;
    buf.root = undefined;
    buf.rootEndedAt = Number.NaN;
    buf.rootDurationMs = 0;
    buf.rootKey = undefined;
    buf.logRecords = undefined;
    buf.slow = false;
    buf.thresholdMs = undefined;
    buf.key = undefined;
    buf.incomplete = false;
    buf.cause = undefined;
    buf.ot = NO_OT;
    buf.incoming = undefined;
    if (this.pool.length < POOL_SIZE) {
      buf.decided = false;
      buf.remembered = false;
      this.pool.push(buf);
    }
  }

  /** Decides one trace early: a complete one waiting out its grace period if any, else the oldest. */
  private evictOne(now: number, cause: ForcedDecisionCause): boolean {
    const victim = this.dueFirst ?? this.oldest;
    if (victim === undefined) return false;
    this.decide(victim, now, cause);
    return true;
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
    for (let b = this.dueFirst; b !== undefined && b.rootEndedAt + wait <= now; b = this.dueFirst) {
      this.decide(b, now, undefined);
    }
    const maxDuration = this.o.maxTraceDurationMs;
    for (
      let b = this.oldest;
      b !== undefined && b.firstSeen + maxDuration <= now;
      b = this.oldest
    ) {
      this.decide(b, now, 'max_trace_duration');
    }
    this.rate.tick(now);
  }

  private flushBuffers(): void {
    const now = this.now();
    for (let b = this.oldest; b !== undefined; b = this.oldest) {
      try {
        this.decide(b, now, 'flush');
      } catch (err) {
        logSwallowed('sampling: flush', err);
      }
    }
  }

  // --- deciding ------------------------------------------------------------------------------

  private decide(buf: TraceBuffer, now: number, cause: ForcedDecisionCause | undefined): void {
    if (buf.decided) return;
    // Out of the buffering state first, so that whatever happens next, the buffer is gone.
    buf.decided = true;
    this.unlink(buf);
    this.bufferedTraces--;
    this.bufferedSpans -= buf.spanCount;
    const outer = this.deciding;
    this.deciding = buf;
    try {
      this.decideBuffered(buf, now, cause);
    } finally {
      this.deciding = outer;
      if (buf.logRecords !== undefined) this.releaseLogRecords(buf);
      // The policy replaced the buffer by its decision in the map (see remember), so the
      // trace id is inserted once per trace; if it failed to, forget the trace.
      if (!buf.remembered) this.traces.deleteWith(buf.traceId, buf.hash);
      this.recycle(buf);
    }
  }

  private decideBuffered(
    buf: TraceBuffer,
    now: number,
    cause: ForcedDecisionCause | undefined,
  ): void {
    if (cause) this.counters.forced[cause]++;

    const rootEnded = buf.root !== undefined;
    const incomplete = !rootEnded || cause === 'max_spans_per_trace';
    let ot = buf.ot;
    let incoming = buf.incoming;
    if (!rootEnded && buf.spanCount > 0) {
      const inc = incomingOf(buf.spans[0]!.spanContext().traceState);
      ot = inc.ot;
      incoming = inc.incoming;
    }

    let slow = false;
    let thresholdMs: number | undefined;
    let key: string | undefined;
    if (rootEnded) {
      key = buf.rootKey ?? this.keyFor(buf.root!);
      const durationMs = buf.rootDurationMs;
      thresholdMs = this.latency.observe(key, durationMs, now);
      slow = durationMs > thresholdMs;
    } else if (cause === 'max_trace_duration') {
      slow = true; // still running after maxTraceDurationMs: slow by any standard
    } else if (buf.rootStarted) {
      // Decided early with the root still open: slow if it has already run longer than the
      // threshold for its key (not recorded in the sketch: the duration is censored).
      key = this.keyFor(buf.rootStarted);
      thresholdMs = this.latency.peek(key, now);
      slow = now - buf.firstSeen > thresholdMs;
    }

    // The buffer itself carries the facts to the policy (nothing allocated per trace).
    buf.slow = slow;
    buf.thresholdMs = thresholdMs;
    buf.key = key;
    buf.incomplete = incomplete;
    buf.cause = cause;
    buf.ot = ot;
    buf.incoming = incoming;
    buf.now = now;
    this.applyPolicy(buf);
  }

  /**
   * Takes the keep/drop decision for a trace whose facts are known, and forwards what is kept.
   * Overridden by {@link TraceRoutingSpanProcessor} (one decision per destination).
   * @internal
   */
  protected applyPolicy(t: TraceFacts): void {
    const { slow, incomplete, cause, ot, incoming, now } = t;
    let keep: boolean;
    let reason: SamplingReason | undefined;
    let threshold: Threshold;
    if (t.hasError || slow) {
      keep = true;
      reason = t.hasError ? 'error' : 'slow';
      threshold = incoming ?? ALWAYS_KEEP;
    } else {
      const pTail = this.rate.observe(now);
      threshold = thresholdForProbability((incoming?.probability ?? 1) * pTail);
      if (incoming) threshold = maxThreshold(threshold, incoming);
      keep =
        traceIdPasses(t.traceId, ot, threshold) ??
        passes(randomnessFromUniform(safeRandom(this.random)), threshold);
      reason =
        incomplete &&
        (cause === 'max_buffered_traces' ||
          cause === 'max_buffered_spans' ||
          cause === 'max_spans_per_trace')
          ? 'overflow'
          : 'baseline';
    }

    const spans = t.spans;
    const n = t.spanCount;
    if (!keep) {
      this.counters.tracesDropped++;
      this.counters.spansDropped += n;
      this.remember(t.traceId, DROPPED);
      return;
    }
    this.counters.tracesKept[reason!]++;
    const decision = this.keptDecision(reason!, threshold, ot, incoming, incomplete);
    this.remember(t.traceId, decision);
    const rootAttrs = this.rootAttributes(t, decision);
    for (let i = 0; i < n; i++) {
      const span = spans[i]!;
      this.counters.spansKept++;
      this.forward(this.stamp(span, decision, span === t.root ? rootAttrs : undefined));
    }
  }

  /** Attributes of a kept trace's local root: the decision's plus the slow/error facts. */
  protected rootAttributes(t: TraceFacts, decision: Decision): Attributes | undefined {
    if (!t.root) return undefined;
    const attrs: Attributes = Object.assign({}, decision.attributes); // (no spread: see mergeAttributes)
    attrs[ATTR_SAMPLING_SLOW] = t.slow;
    attrs[ATTR_SAMPLING_ERROR] = t.hasError;
    if (t.thresholdMs !== undefined)
      attrs[ATTR_SAMPLING_LATENCY_THRESHOLD_MS] = round3(t.thresholdMs);
    if (t.key !== undefined) attrs[ATTR_SAMPLING_KEY] = t.key;
    return attrs;
  }

  protected keptDecision(
    reason: SamplingReason,
    threshold: Threshold,
    ot: OtState,
    incoming: Threshold | undefined,
    incomplete: boolean,
  ): Decision {
    // Kept traces with the same outcome share one (immutable) decision, and with it its
    // attributes and its cached output trace state: consecutive baseline traces at one
    // probability allocate nothing for it.
    const cached = incomplete ? undefined : this.keptCache[reason];
    if (
      cached !== undefined &&
      cached.threshold === threshold &&
      cached.ot === ot &&
      cached.incoming === incoming
    )
      return cached;
    const decision = this.newKeptDecision(reason, threshold, ot, incoming, incomplete);
    if (!incomplete) this.keptCache[reason] = decision;
    return decision;
  }

  private newKeptDecision(
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

  /**
   * Remembers the decision of a trace, so its late spans follow it. A trace decided before
   * keeps its slot (a late error turning a drop into a keep); otherwise the oldest decision is
   * forgotten once `decisionCacheSize` are held.
   */
  protected remember(traceId: string, decision: object): void {
    const d = this.traces;
    const deciding = this.deciding;
    let h: number;
    if (deciding !== undefined && deciding.traceId === traceId && !deciding.remembered) {
      // The table holds the buffer being decided: replace it (no lookup first, no new entry).
      h = deciding.hash;
      d.setWith(traceId, h, decision);
      deciding.remembered = true;
    } else {
      h = d.hash(traceId);
      const had = d.getWith(traceId, h);
      d.setWith(traceId, h, decision);
      if (had instanceof TraceBuffer) had.remembered = true;
      else if (had !== undefined) return; // decided before (a late error): same ring slot
    }
    const ring = this.decisionRing;
    const slot = this.decisionRingNext;
    const evicted = ring[slot];
    if (evicted !== undefined) d.deleteWith(evicted, this.decisionRingHashes[slot]!);
    ring[slot] = traceId;
    this.decisionRingHashes[slot] = h;
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
    const key = this.keyFor(span);
    const durationMs = hrToMs(span.duration);
    const thresholdMs = this.latency.observe(key, durationMs, now);
    const slow = durationMs > thresholdMs;
    let reason: SamplingReason | undefined = hasError ? 'error' : slow ? 'slow' : undefined;
    if (!reason) {
      const { ot, incoming } = incomingOf(sc.traceState);
      const t = thresholdForProbability((incoming?.probability ?? 1) * this.rate.observe(now));
      const pass =
        traceIdPasses(sc.traceId, ot, t) ??
        passes(randomnessFromUniform(safeRandom(this.random)), t);
      if (pass) reason = 'baseline';
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

  /**
   * The latency key of a local root. With the default `keyOf`, keys are cached by root name,
   * operation and model, so the same string object (hashed once) comes back for every root of
   * one kind instead of a fresh concatenation per trace.
   */
  private keyFor(root: ReadableSpanLike): string {
    if (this.keyOf !== defaultKeyOf) return this.safeKey(root);
    const name = root.name;
    const attributes = root.attributes;
    const op = attributes?.[ATTR_GEN_AI_OPERATION_NAME];
    const model = attributes?.[ATTR_GEN_AI_REQUEST_MODEL];
    const hit = typeof name === 'string' ? this.keyCache.get(name) : undefined;
    if (hit !== undefined && hit.op === op && hit.model === model) return hit.key;
    const key = this.safeKey(root);
    if (typeof name === 'string') {
      if (this.keyCache.size >= KEY_CACHE_SIZE) this.keyCache.clear();
      this.keyCache.set(name, { op, model, key });
    }
    return key;
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
        .createObservableCounter('genai_otel.sampling.log_records', {
          description: 'Log records forwarded or dropped with their trace by the adaptive sampler',
          unit: '{log_record}',
        })
        .addCallback((r: ObservableResult) => {
          r.observe(c.logRecordsKept, { 'sampling.decision': 'kept' });
          r.observe(c.logRecordsDropped, { 'sampling.decision': 'dropped' });
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
        .addCallback((r: ObservableResult) =>
          r.observe(this.bufferedTraces + this.annotations.size),
        );
      meter
        .createObservableGauge('genai_otel.sampling.buffered_spans', {
          description: 'Spans currently buffered awaiting a decision',
          unit: '{span}',
        })
        .addCallback((r: ObservableResult) => r.observe(this.bufferedSpans));
      meter
        .createObservableGauge('genai_otel.sampling.buffered_log_records', {
          description: 'Log records currently held with traces awaiting a decision',
          unit: '{log_record}',
        })
        .addCallback((r: ObservableResult) => r.observe(this.bufferedLogRecords));
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
  /** The trace's spans are `spans[0 .. spanCount)` (the array is reused: ignore the rest). */
  spans: ReadableSpanLike[];
  spanCount: number;
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
const NO_INCOMING: Incoming = { ot: NO_OT, incoming: undefined };
/** Parsed `ot` members by their raw value: traces of one head sampler share a handful. */
const incomingCache = new Map<string, Incoming>();
let lastTraceState: TraceState | undefined;
let lastIncoming: Incoming = NO_INCOMING;

/** The `ot` member of a trace state and the threshold it carries (cached, never throws). */
export function incomingOf(traceState: TraceState | undefined): Incoming {
  if (!traceState) return NO_INCOMING;
  // Trace states are immutable, and a head sampler hands most roots the same one.
  if (traceState === lastTraceState) return lastIncoming;
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
  lastTraceState = traceState;
  lastIncoming = hit;
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
