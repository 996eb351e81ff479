import { type Context, createContextKey } from '@opentelemetry/api';

/**
 * Usage de-duplication across layers.
 *
 * Rule: a call's tokens (and its operation-duration metric) are recorded by the innermost
 * LLM span that observed them, which is the one closest to the wire. Every LLM span puts a
 * {@link UsageSlot} into the context it runs its work in; when a span records usage it claims
 * every slot of its ancestors. An LLM span whose slot was claimed by a descendant records no
 * `gen_ai.usage.*` attributes and no metrics, and is marked
 * `genai_otel.usage.recorded_by_child=true` instead. The sum of `gen_ai.usage.*` over a
 * trace's spans, and the metric totals, therefore count each call once.
 */
export interface UsageSlot {
  readonly parent: UsageSlot | undefined;
  claimed: boolean;
}

const USAGE_SLOT_KEY = createContextKey('genai-otel usage slot');

export function getUsageSlot(ctx: Context): UsageSlot | undefined {
  return ctx.getValue(USAGE_SLOT_KEY) as UsageSlot | undefined;
}

/** A new slot chained to the one active in `ctx`, and the context that carries it. */
export function openUsageSlot(ctx: Context): { slot: UsageSlot; context: Context } {
  const slot: UsageSlot = { parent: getUsageSlot(ctx), claimed: false };
  return { slot, context: ctx.setValue(USAGE_SLOT_KEY, slot) };
}

/** Marks every ancestor of `slot` as claimed (the call's usage is recorded below them). */
export function claimAncestors(slot: UsageSlot | undefined): void {
  for (let s = slot?.parent; s && !s.claimed; s = s.parent) s.claimed = true;
}
