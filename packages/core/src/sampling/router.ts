/**
 * Tail routing: one trace buffer, one decision per destination.
 *
 * `TraceRoutingSpanProcessor` reuses the adaptive sampler's buffering (each trace is held once,
 * until its local root ends plus `decisionWaitMs`, with the same bounds, forced decisions,
 * latency tracking and late-span handling) and then evaluates every destination's selection on
 * the complete trace: keep everything, keep errors only, adaptive sampling with the
 * destination's own rate, optionally restricted to traces whose spans (or resource) match
 * attributes. Each destination receives whole traces, stamped with its own probability
 * (`sampling.adjusted_count`, `SampleRate`, `ot=th`), so each backend re-weights correctly.
 */
import {
  type Attributes,
  diag,
  metrics,
  type ObservableResult,
  type TraceState,
} from '@opentelemetry/api';
import { logSwallowed } from '../guard.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.js';
import { ATTR_SAMPLE_RATE, ATTR_SAMPLING_ADJUSTED_COUNT } from './attributes.js';
import { ForwardedSpan } from './forwarded-span.js';
import {
  AdaptiveSamplingSpanProcessor,
  type Decision,
  DROPPED,
  incomingOf,
  type TraceFacts,
} from './processor.js';
import { RateController } from './rate.js';
import {
  ALWAYS_KEEP,
  maxThreshold,
  passes,
  randomnessFromUniform,
  randomnessOf,
  type Threshold,
  thresholdForProbability,
} from './threshold.js';
import type {
  AdaptiveSamplingOptions,
  ReadableSpanLike,
  SamplingReason,
  SpanProcessorLike,
} from './types.js';

/** A scalar attribute value a condition compares against. */
export type AttributeScalar = string | number | boolean;

/**
 * A condition on one attribute: a value (equal; for array attributes, contained), a list (any
 * of), or an object: `{ exists: true|false }`, `{ regex: '^claude-' }`, `{ oneOf: [...] }`.
 */
export type AttributeCondition =
  | AttributeScalar
  | readonly AttributeScalar[]
  | { exists?: boolean; regex?: string; oneOf?: readonly AttributeScalar[] };

/** A read-only view of a complete trace, for {@link DestinationSelection.filter}. */
export interface TraceView {
  readonly traceId: string;
  readonly spans: readonly ReadableSpanLike[];
  /** The local root span, when it ended before the decision. */
  readonly root: ReadableSpanLike | undefined;
  readonly hasError: boolean;
  readonly slow: boolean;
  /** Resource attributes of the trace's spans. */
  readonly resource: Attributes;
}

/** Per-destination adaptive sampling (errors and slow traces kept, the rest sampled). */
export interface AdaptiveSelectionOptions {
  /** Kept baseline traces per second for this destination. Default: the processor's (1). */
  targetTracesPerSecond?: number;
  /** Lower bound of the baseline probability. Default: the processor's (0.01). */
  minRate?: number;
  /** Upper bound of the baseline probability. Default: the processor's (0.05). */
  maxRate?: number;
  /** Keep traces slower than the running latency quantile. Default true. */
  keepSlow?: boolean;
}

/**
 * Which traces a destination receives, decided per trace on the complete trace. One of
 * `all` (the default), `errorsOnly` or `adaptive`, optionally narrowed by `where`, `filter`
 * and `excludeErrors`.
 */
export interface DestinationSelection {
  /** Every trace (probability 1, or the head sampler's). */
  all?: boolean;
  /** Only traces with an error span (status ERROR or `error.type`). */
  errorsOnly?: boolean;
  /** Errors and slow traces, plus an adaptive share of the rest (this destination's own rate). */
  adaptive?: boolean | AdaptiveSelectionOptions;
  /**
   * Only traces where, for every key, some span of the trace (or the trace's resource) has
   * an attribute satisfying the condition, e.g.
   * `{ 'gen_ai.provider.name': 'anthropic', 'deployment.environment': ['prod', 'staging'] }`.
   */
  where?: Record<string, AttributeCondition>;
  /** Only traces without an error (e.g. successes to one backend, errors to another). */
  excludeErrors?: boolean;
  /** A custom predicate (from code): the trace goes to this destination only if it returns true. */
  filter?: (trace: TraceView) => boolean;
  /**
   * With `all` alone (no `where`, `filter` or `excludeErrors`): send each span as soon as it
   * ends, not with its trace's decision. The destination gets spans without the tail delay and
   * whatever happens to the buffer (forced decisions, a crash before the decision); they carry
   * the head sampler's weight (`sampling.adjusted_count`, `SampleRate`, when a head sampler
   * sampled) but no `sampling.reason` nor the root's slow/error facts. Ignored (with a warning)
   * on any other selection.
   */
  immediate?: boolean;
}

/** One destination of a {@link TraceRoutingSpanProcessor}. */
export interface RoutingDestination {
  /** Name used in statistics and metrics (`genai_otel.destination`). */
  name: string;
  /** Where this destination's kept spans go: its own (bounded, non-blocking) export stage. */
  next: SpanProcessorLike;
  /** Which traces it receives. Default `{ all: true }`. */
  select?: DestinationSelection;
}

export interface TraceRoutingOptions extends Omit<AdaptiveSamplingOptions, 'next' | 'mode'> {
  destinations: RoutingDestination[];
}

/** Counters of one destination's selection (also the `genai_otel.sampling.destination.*` metrics). */
export interface DestinationSelectionStats {
  name: string;
  tracesKept: number;
  tracesDropped: number;
  spansKept: number;
  spansDropped: number;
  /** Current baseline probability (adaptive destinations), else 1. */
  baselineRate: number;
}

type SelectionKind = 'all' | 'errors' | 'adaptive';

interface CompiledCondition {
  key: string;
  test: (value: unknown) => boolean;
  /** `{ exists: false }`: satisfied when NO span nor the resource has the attribute. */
  absent: boolean;
}

interface Route {
  name: string;
  next: SpanProcessorLike;
  kind: SelectionKind;
  keepSlow: boolean;
  excludeErrors: boolean;
  where: CompiledCondition[];
  filter: ((trace: TraceView) => boolean) | undefined;
  rate: RateController | undefined;
  /** Sent each span as it ends (see {@link DestinationSelection.immediate}). */
  immediate: boolean;
  stats: DestinationSelectionStats;
}

/** Per-trace decision of a router: one entry per destination (undefined: not sent there). */
interface RouteDecision {
  routes: (Decision | undefined)[];
}

const REASON_RANK: Record<SamplingReason, number> = { error: 3, slow: 2, overflow: 1, baseline: 0 };

/**
 * A tail-sampling router: buffers each trace once and sends it, whole, to every destination
 * whose selection keeps it. See {@link DestinationSelection} and SAMPLING.md ("Several
 * destinations").
 */
export class TraceRoutingSpanProcessor extends AdaptiveSamplingSpanProcessor {
  private readonly routes: Route[];
  private readonly immediateRoutes: Route[];
  /** The head-sampling weight attributes last built, and the threshold they are for. */
  private headWeight: { hex14: string; attributes: Attributes } | undefined;

  constructor(options: TraceRoutingOptions) {
    const list = Array.isArray(options?.destinations) ? options.destinations : [];
    const valid = list.filter((d) => d && typeof d.next?.onEnd === 'function');
    if (valid.length !== list.length) {
      throw new TypeError('TraceRoutingSpanProcessor: every destination needs a `next` processor');
    }
    const immediate = valid.map((d, i) => isImmediate(d, i));
    super({
      ...options,
      mode: 'sample',
      next: new RouterFanOut(
        valid.map((d) => d.next),
        immediate,
      ),
    });
    this.routes = valid.map((d, i) => this.compileRoute(d, i, immediate[i]!));
    this.immediateRoutes = this.routes.filter((r) => r.immediate);
    this.registerRouteMetrics(options);
  }

  /**
   * Immediate destinations get every sampled span as it ends (then the buffering, decisions
   * and late spans of the other destinations go on as usual, without them).
   */
  override onEnd(span: ReadableSpanLike): void {
    if (this.immediateRoutes.length > 0) this.sendNow(span);
    super.onEnd(span);
  }

  /** Per-destination selection counters. */
  destinationStats(): DestinationSelectionStats[] {
    return this.routes.map((r) => ({
      ...r.stats,
      baselineRate: r.rate ? r.rate.rate : 1,
    }));
  }

  /** Each adaptive destination reports its own (`genai_otel.sampling.destination.baseline_probability`). */
  protected override baselineProbability(): number | undefined {
    return undefined;
  }

  // --- policy -------------------------------------------------------------------------------

  protected override applyPolicy(facts: TraceFacts): void {
    // The buffer behind `facts` is reused once the trace is decided: work on (and hand
    // selections) an exact copy of its spans.
    const t: TraceFacts = {
      traceId: facts.traceId,
      spans: facts.spans.slice(0, facts.spanCount),
      spanCount: facts.spanCount,
      root: facts.root,
      hasError: facts.hasError,
      slow: facts.slow,
      thresholdMs: facts.thresholdMs,
      key: facts.key,
      incomplete: facts.incomplete,
      cause: facts.cause,
      ot: facts.ot,
      incoming: facts.incoming,
      now: facts.now,
    };
    const view = this.viewOf(t);
    const overflow =
      t.incomplete &&
      (t.cause === 'max_buffered_traces' ||
        t.cause === 'max_buffered_spans' ||
        t.cause === 'max_spans_per_trace');
    let randomness: string | undefined;
    const r = () => {
      randomness ??=
        randomnessOf(t.traceId, t.ot) ?? randomnessFromUniform(safeUniform(this.random));
      return randomness;
    };
    const decisions: (Decision | undefined)[] = new Array(this.routes.length);
    // Destinations with the same outcome share one Decision, so each span is stamped once per
    // distinct (reason, probability), not once per destination.
    const shared = new Map<string, Decision>();
    const kept = (reason: SamplingReason, threshold: Threshold): Decision => {
      const key = `${reason}|${threshold.hex14}`;
      let d = shared.get(key);
      if (!d) {
        d = this.keptDecision(reason, threshold, t.ot, t.incoming, t.incomplete);
        shared.set(key, d);
      }
      return d;
    };
    let best: SamplingReason | undefined;
    for (let i = 0; i < this.routes.length; i++) {
      const route = this.routes[i]!;
      if (route.immediate) {
        route.stats.tracesKept++; // it has every span of the trace already
        continue;
      }
      let decision: Decision | undefined;
      try {
        decision = this.decideRoute(route, t, view, overflow, r, kept);
      } catch (err) {
        logSwallowed(`sampling: route ${route.name}`, err);
        decision = undefined;
      }
      decisions[i] = decision;
      if (decision) {
        route.stats.tracesKept++;
        route.stats.spansKept += t.spans.length;
        if (best === undefined || REASON_RANK[decision.reason!] > REASON_RANK[best])
          best = decision.reason;
      } else {
        route.stats.tracesDropped++;
        route.stats.spansDropped += t.spans.length;
      }
    }
    // An immediate destination has the trace whatever the others decided.
    if (best === undefined && this.immediateRoutes.length > 0)
      best = t.hasError ? 'error' : t.slow ? 'slow' : overflow ? 'overflow' : 'baseline';
    if (best === undefined) {
      this.counters.tracesDropped++;
      this.counters.spansDropped += t.spans.length;
      this.remember(t.traceId, DROPPED);
      return;
    }
    this.counters.tracesKept[best]++;
    this.counters.spansKept += t.spans.length;
    this.remember(t.traceId, { routes: decisions } satisfies RouteDecision);
    const groups = new Map<Decision, Route[]>();
    for (let i = 0; i < this.routes.length; i++) {
      const decision = decisions[i];
      if (!decision) continue;
      const list = groups.get(decision);
      if (list) list.push(this.routes[i]!);
      else groups.set(decision, [this.routes[i]!]);
    }
    for (const [decision, routes] of groups) {
      const rootAttrs = this.rootAttributes(t, decision);
      for (const span of t.spans) {
        const stamped = this.stamp(span, decision, span === t.root ? rootAttrs : undefined);
        for (const route of routes) deliver(route, stamped);
      }
    }
  }

  private decideRoute(
    route: Route,
    t: TraceFacts,
    view: TraceView,
    overflow: boolean,
    randomness: () => string,
    kept: (reason: SamplingReason, threshold: Threshold) => Decision,
  ): Decision | undefined {
    if (route.excludeErrors && t.hasError) return undefined;
    if (route.kind === 'errors' && !t.hasError) return undefined;
    if (route.where.length > 0 && !matchesWhere(route.where, t.spans, view.resource))
      return undefined;
    if (route.filter && !safeFilter(route, view)) return undefined;
    const incoming = t.incoming;
    const certain = incoming ?? ALWAYS_KEEP;
    if (t.hasError) return kept('error', certain);
    if (route.kind === 'all')
      return kept(t.slow ? 'slow' : overflow ? 'overflow' : 'baseline', certain);
    // adaptive
    if (t.slow && route.keepSlow) return kept('slow', certain);
    const pTail = route.rate!.observe(t.now);
    let threshold: Threshold = thresholdForProbability((incoming?.probability ?? 1) * pTail);
    if (incoming) threshold = maxThreshold(threshold, incoming);
    if (!passes(randomness(), threshold)) return undefined;
    return kept(overflow ? 'overflow' : 'baseline', threshold);
  }

  /** Log records of a trace go wherever any destination keeps the trace. */
  protected override keepsLogRecords(decided: object): boolean {
    if (this.immediateRoutes.length > 0) return true;
    const routes = (decided as Partial<RouteDecision>).routes;
    return routes?.some((d) => d !== undefined) === true;
  }

  protected override lateSpan(span: ReadableSpanLike, decided: object): void {
    const traceId = span.spanContext().traceId;
    let routeDecision = (decided as Partial<RouteDecision>).routes
      ? (decided as RouteDecision)
      : undefined;
    const error = this.checkError(span);
    let sent = false;
    for (let i = 0; i < this.routes.length; i++) {
      const route = this.routes[i]!;
      if (route.immediate) {
        sent = true; // sent when it ended (onEnd)
        continue;
      }
      let decision = routeDecision?.routes[i];
      if (!decision && error && !route.excludeErrors && route.filter === undefined) {
        // An error after the trace was decided without this destination: send what follows.
        const resource = resourceAttributes(span);
        if (route.where.length === 0 || matchesWhere(route.where, [span], resource)) {
          const { ot, incoming } = incomingOf(span.spanContext().traceState);
          decision = this.keptDecision('error', incoming ?? ALWAYS_KEEP, ot, incoming, true);
          if (!routeDecision) {
            routeDecision = { routes: new Array(this.routes.length) };
            this.remember(traceId, routeDecision);
            this.counters.tracesKept.error++;
          }
          routeDecision.routes[i] = decision;
          route.stats.tracesKept++;
        }
      }
      if (decision) {
        route.stats.spansKept++;
        this.send(route, span, decision, undefined);
        sent = true;
      } else {
        route.stats.spansDropped++;
      }
    }
    if (sent) {
      this.counters.lateSpansKept++;
      this.counters.spansKept++;
    } else {
      this.counters.lateSpansDropped++;
      this.counters.spansDropped++;
    }
  }

  /** Hands one span (late: stamped for this destination) to one destination. */
  private send(
    route: Route,
    span: ReadableSpanLike,
    decision: Decision,
    rootAttrs: Attributes | undefined,
  ): void {
    let stamped: ReadableSpanLike;
    try {
      stamped = this.stamp(span, decision, rootAttrs);
    } catch (err) {
      logSwallowed('sampling: stamp', err);
      stamped = span;
    }
    deliver(route, stamped);
  }

  /** Hands a sampled span to every immediate destination, with the head sampler's weight. */
  private sendNow(span: ReadableSpanLike): void {
    try {
      const sc = span.spanContext();
      if ((sc.traceFlags & SAMPLED) === 0) return; // not sampled upstream: nobody exports it
      const out = this.headWeighted(span, sc.traceState);
      for (const route of this.immediateRoutes) {
        route.stats.spansKept++;
        deliver(route, out);
      }
    } catch (err) {
      logSwallowed('sampling: immediate destinations', err);
    }
  }

  /** The span as is, or (head-sampled with a threshold) with its adjusted count. */
  private headWeighted(span: ReadableSpanLike, traceState: TraceState | undefined) {
    const { incoming } = incomingOf(traceState);
    if (incoming === undefined) return span;
    let weight = this.headWeight;
    if (weight?.hex14 !== incoming.hex14) {
      weight = {
        hex14: incoming.hex14,
        attributes: {
          [ATTR_SAMPLING_ADJUSTED_COUNT]: incoming.adjustedCount,
          [ATTR_SAMPLE_RATE]: Math.max(1, Math.round(incoming.adjustedCount)),
        },
      };
      this.headWeight = weight;
    }
    return new ForwardedSpan(span, weight.attributes, traceState);
  }

  private viewOf(t: TraceFacts): TraceView {
    let resource: Attributes | undefined;
    return {
      traceId: t.traceId,
      spans: t.spans,
      root: t.root,
      hasError: t.hasError,
      slow: t.slow,
      get resource() {
        resource ??= resourceAttributes(t.root ?? t.spans[0]);
        return resource;
      },
    };
  }

  // --- set-up ---------------------------------------------------------------------------------

  private compileRoute(d: RoutingDestination, index: number, immediate: boolean): Route {
    const select = d.select ?? {};
    const kind: SelectionKind = select.adaptive ? 'adaptive' : select.errorsOnly ? 'errors' : 'all';
    const name = typeof d.name === 'string' && d.name ? d.name : `destination#${index}`;
    let rate: RateController | undefined;
    let keepSlow = true;
    if (kind === 'adaptive') {
      const a: AdaptiveSelectionOptions =
        typeof select.adaptive === 'object' ? select.adaptive : {};
      const num = (v: unknown, def: number) =>
        typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : def;
      const maxRate = Math.min(1, num(a.maxRate, this.o.maxRate));
      const minRate = Math.min(maxRate, num(a.minRate, Math.min(this.o.minRate, maxRate)));
      keepSlow = a.keepSlow !== false;
      rate = new RateController({
        targetPerSecond: num(a.targetTracesPerSecond, this.o.targetTracesPerSecond),
        minRate,
        maxRate,
        intervalMs: this.o.adaptationIntervalMs,
        emaWeight: 0.5,
        maxIncreaseFactor: 1.5,
        initialRate: maxRate,
      });
    }
    return {
      name,
      next: d.next,
      kind,
      keepSlow,
      excludeErrors: select.excludeErrors === true,
      where: compileWhere(select.where),
      filter: typeof select.filter === 'function' ? select.filter : undefined,
      rate,
      immediate,
      stats: {
        name,
        tracesKept: 0,
        tracesDropped: 0,
        spansKept: 0,
        spansDropped: 0,
        baselineRate: 1,
      },
    };
  }

  private registerRouteMetrics(options: TraceRoutingOptions): void {
    try {
      const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
        PACKAGE_NAME,
        PACKAGE_VERSION,
      );
      meter
        .createObservableCounter('genai_otel.sampling.destination.traces', {
          description: 'Traces sent to or withheld from each destination by its selection',
          unit: '{trace}',
        })
        .addCallback((res: ObservableResult) => {
          for (const r of this.routes) {
            res.observe(r.stats.tracesKept, {
              'genai_otel.destination': r.name,
              'sampling.decision': 'kept',
            });
            res.observe(r.stats.tracesDropped, {
              'genai_otel.destination': r.name,
              'sampling.decision': 'dropped',
            });
          }
        });
      meter
        .createObservableGauge('genai_otel.sampling.destination.baseline_probability', {
          description: 'Current baseline probability of each adaptive destination',
          unit: '1',
        })
        .addCallback((res: ObservableResult) => {
          for (const r of this.routes) {
            if (r.rate) res.observe(r.rate.rate, { 'genai_otel.destination': r.name });
          }
        });
    } catch (err) {
      logSwallowed('sampling: route metrics', err);
    }
  }
}

/** Hands a span to one destination; a throwing destination affects no other. */
function deliver(route: Route, span: ReadableSpanLike): void {
  try {
    route.next.onEnd(span);
  } catch (err) {
    logSwallowed(`sampling: destination ${route.name} onEnd`, err);
  }
}

/**
 * `all` + `immediate` alone, else false (with a warning when `immediate` was asked for on a
 * selection that has to see the whole trace).
 */
function isImmediate(d: RoutingDestination, index: number): boolean {
  const select = d.select;
  if (select?.immediate !== true) return false;
  const plain =
    !select.errorsOnly &&
    !select.adaptive &&
    select.where === undefined &&
    select.filter === undefined &&
    select.excludeErrors !== true;
  if (!plain)
    diag.warn(
      `genai-otel: destination ${d.name || `#${index}`}: "immediate" needs a plain "all" selection; ignored`,
    );
  return plain;
}

const SAMPLED = 1;

/**
 * The router's `next`: start/flush/shutdown go to every destination, each guarded; ends (spans
 * passed on without a decision) only to those that are not immediate (those got them already).
 */
class RouterFanOut implements SpanProcessorLike {
  private readonly onEndTargets: SpanProcessorLike[];
  constructor(
    private readonly processors: SpanProcessorLike[],
    immediate: boolean[],
  ) {
    this.onEndTargets = processors.filter((_, i) => !immediate[i]);
  }
  onStart(span: any, parentContext: any): void {
    for (const p of this.processors) {
      try {
        p.onStart(span, parentContext);
      } catch (err) {
        logSwallowed('sampling: destination onStart', err);
      }
    }
  }
  onEnding(span: any): void {
    for (const p of this.processors) {
      try {
        p.onEnding?.(span);
      } catch (err) {
        logSwallowed('sampling: destination onEnding', err);
      }
    }
  }
  onEnd(span: any): void {
    for (const p of this.onEndTargets) {
      try {
        p.onEnd(span);
      } catch (err) {
        logSwallowed('sampling: destination onEnd', err);
      }
    }
  }
  async forceFlush(): Promise<void> {
    // Each destination flushes on its own: a slow one never holds another's data back.
    await Promise.all(this.processors.map((p) => settle(() => p.forceFlush())));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => settle(() => p.shutdown())));
  }
}

async function settle(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logSwallowed('sampling: destination flush', err);
  }
}

// --- matching ----------------------------------------------------------------------------------

const MAX_REGEX_LENGTH = 512;

function compileWhere(where: Record<string, AttributeCondition> | undefined): CompiledCondition[] {
  if (!where || typeof where !== 'object') return [];
  const out: CompiledCondition[] = [];
  for (const [key, cond] of Object.entries(where)) {
    if (cond === undefined) continue;
    out.push(compileCondition(key, cond));
  }
  return out;
}

function compileCondition(key: string, cond: AttributeCondition): CompiledCondition {
  if (Array.isArray(cond)) {
    const set = new Set<unknown>(cond);
    return { key, absent: false, test: (v) => anyValue(v, (x) => inSet(set, x)) };
  }
  if (typeof cond === 'object' && cond !== null) {
    const c = cond as { exists?: boolean; regex?: string; oneOf?: readonly AttributeScalar[] };
    if (c.exists === false) return { key, absent: true, test: () => false };
    const tests: Array<(v: unknown) => boolean> = [];
    if (typeof c.regex === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(c.regex.slice(0, MAX_REGEX_LENGTH));
      } catch (err) {
        logSwallowed(`sampling: invalid regex for ${key}`, err);
      }
      tests.push(re ? (v) => anyValue(v, (x) => re!.test(String(x))) : () => false);
    }
    if (Array.isArray(c.oneOf)) {
      const set = new Set<unknown>(c.oneOf);
      tests.push((v) => anyValue(v, (x) => inSet(set, x)));
    }
    return { key, absent: false, test: (v) => v !== undefined && tests.every((t) => t(v)) };
  }
  const single = new Set<unknown>([cond]);
  return { key, absent: false, test: (v) => anyValue(v, (x) => inSet(single, x)) };
}

/** Membership; numbers and booleans also match their string form (conditions from env vars). */
function inSet(set: Set<unknown>, x: unknown): boolean {
  return set.has(x) || (typeof x !== 'string' && set.has(String(x)));
}

function anyValue(v: unknown, test: (x: unknown) => boolean): boolean {
  if (Array.isArray(v)) return v.some(test);
  return v !== undefined && v !== null && test(v);
}

/** Every condition holds on some span of the trace or on its resource. */
function matchesWhere(
  conditions: CompiledCondition[],
  spans: readonly ReadableSpanLike[],
  resource: Attributes,
): boolean {
  for (const c of conditions) {
    const present = (a: Attributes | undefined) => a !== undefined && a[c.key] !== undefined;
    if (c.absent) {
      if (present(resource) || spans.some((s) => present(s.attributes))) return false;
      continue;
    }
    if (c.test(resource[c.key])) continue;
    let ok = false;
    for (const s of spans) {
      if (c.test(s.attributes?.[c.key])) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

function resourceAttributes(span: ReadableSpanLike | undefined): Attributes {
  try {
    const r = span?.resource as { attributes?: Attributes } | undefined;
    return r?.attributes ?? {};
  } catch {
    return {};
  }
}

function safeFilter(route: Route, view: TraceView): boolean {
  try {
    return route.filter!(view) === true;
  } catch (err) {
    logSwallowed(`sampling: filter of ${route.name}`, err);
    return false;
  }
}

function safeUniform(random: () => number): number {
  try {
    const u = random();
    return u >= 0 && u < 1 ? u : Math.random();
  } catch {
    return Math.random();
  }
}
