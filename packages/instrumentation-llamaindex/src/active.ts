import { type Context, createContextKey } from '@opentelemetry/api';

/** Which LlamaIndex operation (and on which object) a context is already inside of. */
interface ActiveOp {
  op: string;
  target: unknown;
  parent: ActiveOp | undefined;
  depth: number;
}

const ACTIVE_KEY = createContextKey('genai-otel llamaindex active operation');
const MAX_DEPTH = 64;

/**
 * Marks `ctx` as running `op` for `target`. Used to avoid nested duplicate spans when one
 * patched method calls another patched method for the same operation on the same object
 * (`query` -> `_query`, `complete` -> `chat`, `super.getQueryEmbedding()`).
 */
export function markActive(ctx: Context, op: string, target: unknown): Context {
  const parent = ctx.getValue(ACTIVE_KEY) as ActiveOp | undefined;
  const depth = (parent?.depth ?? 0) + 1;
  // Bounded: past MAX_DEPTH the chain restarts (deep recursion must not grow memory).
  const entry: ActiveOp = { op, target, parent: depth > MAX_DEPTH ? undefined : parent, depth };
  return ctx.setValue(ACTIVE_KEY, entry);
}

/** Is `ctx` already inside `op` for `target` (or for any target when `target` is omitted)? */
export function isActive(ctx: Context, op: string, target?: unknown): boolean {
  let e = ctx.getValue(ACTIVE_KEY) as ActiveOp | undefined;
  let steps = 0;
  while (e && steps++ < MAX_DEPTH) {
    if (e.op === op && (target === undefined || e.target === target)) return true;
    e = e.parent;
  }
  return false;
}

/** The innermost active operation named `op` (any target). */
export function innermost(ctx: Context, op: string): unknown {
  let e = ctx.getValue(ACTIVE_KEY) as ActiveOp | undefined;
  let steps = 0;
  while (e && steps++ < MAX_DEPTH) {
    if (e.op === op) return e.target;
    e = e.parent;
  }
  return undefined;
}
