import { type Context, createContextKey } from '@opentelemetry/api';

/**
 * Usage de-duplication across layers.
 *
 * A framework LLM span (LangChain, LlamaIndex) often wraps a provider span (Anthropic) for the
 * same model call. Each call must be counted once, in metrics and in the sum of
 * `gen_ai.usage.*` over a trace's spans.
 *
 * Rule: every LLM/EMBEDDING span puts a {@link UsageSlot} into the context it runs its work in,
 * chained to the slot of the nearest enclosing LLM/EMBEDDING span. When a span ends:
 * - if it has token usage and no descendant recorded usage, it writes `gen_ai.usage.*` and
 *   the token metric, and claims the usage of every ancestor slot;
 * - if a descendant already recorded usage, it writes no `gen_ai.usage.*` attributes and no
 *   token metric, only `genai_otel.usage.recorded_by_child=true`;
 * - likewise for the call itself: the innermost model span records
 *   `gen_ai.client.operation.duration` (and time to first chunk); its ancestors do not.
 *
 * So the innermost span that observed usage (the one closest to the wire) wins; a framework
 * span still records usage when no provider span below it did (for example a provider we
 * do not instrument). Siblings have separate slots and never affect each other. The rule
 * assumes descendants end before their ancestors (which is how calls nest).
 */
export interface UsageSlot {
  readonly parent: UsageSlot | undefined;
  /** A descendant recorded this call's token usage. */
  claimed: boolean;
  /** A descendant recorded this call's duration metric. */
  callRecorded?: boolean;
}

const USAGE_SLOT_KEY = createContextKey('genai-otel usage slot');

export function getUsageSlot(ctx: Context): UsageSlot | undefined {
  return ctx.getValue(USAGE_SLOT_KEY) as UsageSlot | undefined;
}

/** A new slot chained to the one active in `ctx`, and the context that carries it. */
export function openUsageSlot(ctx: Context): { slot: UsageSlot; context: Context } {
  const slot: UsageSlot = { parent: getUsageSlot(ctx), claimed: false, callRecorded: false };
  return { slot, context: ctx.setValue(USAGE_SLOT_KEY, slot) };
}

/** Marks every ancestor of `slot` as claimed (the call's usage is recorded below them). */
export function claimAncestors(slot: UsageSlot | undefined): void {
  for (let s = slot?.parent; s && !s.claimed; s = s.parent) s.claimed = true;
}

/** Marks every ancestor of `slot` as having its call (duration metric) recorded below. */
export function markCallRecordedOnAncestors(slot: UsageSlot | undefined): void {
  for (let s = slot?.parent; s && !s.callRecorded; s = s.parent) s.callRecorded = true;
}
