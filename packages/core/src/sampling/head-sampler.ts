import {
  type Attributes,
  type Context,
  createTraceState,
  isSpanContextValid,
  type Link,
  type SpanKind,
  TraceFlags,
  type TraceState,
  trace,
} from '@opentelemetry/api';
import { logSwallowed } from '../guard.js';
import {
  NO_OT,
  type OtState,
  otOf,
  parseThreshold,
  type Threshold,
  thresholdForProbability,
  traceIdPasses,
  withThreshold,
} from './threshold.js';

/** `SamplingDecision` values of the SDKs (stable numbers; the enum lives in the SDK). */
export const SAMPLING_DECISION = { NOT_RECORD: 0, RECORD: 1, RECORD_AND_SAMPLED: 2 } as const;

export interface SamplingResultLike {
  decision: 0 | 1 | 2;
  attributes?: Attributes;
  traceState?: TraceState;
}

/** The SDK `Sampler` contract (structural, for SDK 2.x and 3.x). */
export interface SamplerLike {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResultLike;
  toString(): string;
}

export interface HeadSamplerOptions {
  /** Probability of keeping a new root trace, 0..1. Default 1 (keep all, writes `ot=th:0`). */
  ratio?: number;
}

/**
 * A parent-based, consistent-probability head sampler (OpenTelemetry tracestate probability
 * sampling):
 * - a root span is sampled iff its randomness (`ot=rv`, else the trace id's low 56 bits) is
 *   at least the threshold for `ratio`; sampled roots get `ot=th:<threshold>` in their trace
 *   state, which children inherit and exporters send, so backends can re-weight counts;
 * - a span with a valid parent follows the parent's sampled flag; the parent's `th` is kept
 *   when it is consistent with the trace's randomness and erased otherwise (as the spec asks
 *   of a sampler that can no longer vouch for the probability).
 * Use it ahead of {@link AdaptiveSamplingSpanProcessor}: its spans are then SAMPLED (which the
 * SDK's batch processor requires) and the tail stage multiplies its probability in.
 */
export function createHeadSampler(options: HeadSamplerOptions = {}): SamplerLike {
  const ratio =
    typeof options.ratio === 'number' && Number.isFinite(options.ratio)
      ? Math.min(1, Math.max(0, options.ratio))
      : 1;
  const threshold: Threshold = thresholdForProbability(ratio);
  const description = `GenAIHeadSampler{ratio=${ratio}, th=${threshold.th || 'never'}}`;
  /** The trace state of a root without an incoming one (immutable, so shared by all). */
  let rootTraceState: TraceState | undefined;
  // A trace state is immutable and is shared by a span's children (and ours by every root we
  // sample), so its `ot` member is parsed once, not once per span: the last one parsed is
  // remembered. `th: undefined` = no `th`; `null` = a malformed one.
  let parsedTs: TraceState | undefined;
  let parsedOt: OtState = NO_OT;
  let parsedTh: Threshold | null | undefined;
  const parse = (ts: TraceState): void => {
    if (ts === parsedTs) return;
    parsedOt = otOf(ts);
    parsedTh = parsedOt.th === undefined ? undefined : (parseThreshold(parsedOt.th) ?? null);
    parsedTs = ts;
  };
  // A child's verdict depends on its parent's trace state and trace id only, and the spans of
  // a trace start back to back: the last verdict is remembered (as the trace state to write).
  let verdictTs: TraceState | undefined;
  let verdictTraceId = '';
  let verdictOut: TraceState | undefined;

  return {
    shouldSample(context, traceId) {
      try {
        const parent = trace.getSpanContext(context);
        if (parent && isSpanContextValid(parent)) {
          if ((parent.traceFlags & TraceFlags.SAMPLED) === 0) {
            return { decision: SAMPLING_DECISION.NOT_RECORD };
          }
          const ts = parent.traceState;
          if (ts === undefined) return { decision: SAMPLING_DECISION.RECORD_AND_SAMPLED };
          if (ts !== verdictTs || parent.traceId !== verdictTraceId) {
            parse(ts);
            // An upstream th that is malformed or that the trace's randomness contradicts:
            // the probability is unknown, so the claim is erased (as the spec asks).
            const consistent =
              parsedTh === undefined ||
              (parsedTh !== null && traceIdPasses(parent.traceId, parsedOt, parsedTh) !== false);
            verdictOut = consistent ? ts : withThreshold(ts, parsedOt, undefined);
            verdictTs = ts;
            verdictTraceId = parent.traceId;
          }
          return { decision: SAMPLING_DECISION.RECORD_AND_SAMPLED, traceState: verdictOut };
        }
        // Root span (an invalid parent context may still carry a trace state with `rv`).
        if (threshold.probability <= 0) return { decision: SAMPLING_DECISION.NOT_RECORD };
        const ts = parent?.traceState;
        let ot = NO_OT;
        if (ts !== undefined) {
          parse(ts);
          ot = parsedOt;
        }
        const pass = traceIdPasses(traceId, ot, threshold);
        if (pass === undefined) {
          // No usable randomness (not a W3C trace id): sample, but without a threshold claim.
          return Math.random() < ratio
            ? { decision: SAMPLING_DECISION.RECORD_AND_SAMPLED, traceState: ts }
            : { decision: SAMPLING_DECISION.NOT_RECORD };
        }
        if (!pass) return { decision: SAMPLING_DECISION.NOT_RECORD };
        if (ts === undefined) {
          rootTraceState ??= withThreshold(createTraceState(), NO_OT, threshold);
          return { decision: SAMPLING_DECISION.RECORD_AND_SAMPLED, traceState: rootTraceState };
        }
        return {
          decision: SAMPLING_DECISION.RECORD_AND_SAMPLED,
          traceState: withThreshold(ts, ot, threshold),
        };
      } catch (err) {
        logSwallowed('sampling: head sampler', err);
        return { decision: SAMPLING_DECISION.RECORD_AND_SAMPLED };
      }
    },
    toString() {
      return description;
    },
  };
}
