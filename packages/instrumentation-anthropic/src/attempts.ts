/**
 * Counting the HTTP attempts of one logical call (the SDK retries 408/409/429/5xx and
 * connection errors, 2 retries by default).
 *
 * Every SDK version sends each attempt through the client's `fetch` property. We wrap that
 * function once per client with a pass-through that increments the counter found in the
 * active context, and the call's context carries a fresh counter. Outside a traced call the
 * wrapper only forwards. The wrapper keeps `this`, arguments and the returned promise.
 */
import { type Context, context, createContextKey } from '@opentelemetry/api';

const COUNTER_KEY = createContextKey('genai-otel anthropic attempt counter');
const WRAPPED = Symbol.for('genai-otel.anthropic.fetch-wrapped');

export interface AttemptCounter {
  attempts: number;
}

export function withAttemptCounter(ctx: Context, counter: AttemptCounter): Context {
  return ctx.setValue(COUNTER_KEY, counter);
}

/** Installs the counting wrapper on `client.fetch` (idempotent, never throws). */
export function ensureFetchCounting(client: unknown): void {
  try {
    if (!client || typeof client !== 'object') return;
    const c = client as Record<string | symbol, unknown>;
    const original = c.fetch;
    if (typeof original !== 'function' || (original as unknown as Record<symbol, unknown>)[WRAPPED])
      return;
    const counting = function (this: unknown, ...args: unknown[]) {
      const counter = context.active().getValue(COUNTER_KEY) as AttemptCounter | undefined;
      if (counter) counter.attempts++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    Object.defineProperty(counting, WRAPPED, { value: true });
    Object.defineProperty(counting, 'name', { value: original.name });
    const desc = Object.getOwnPropertyDescriptor(c, 'fetch');
    // Only a plain writable data property is ours to replace.
    if (desc && 'value' in desc && desc.writable) c.fetch = counting;
  } catch {
    // leave the client as it is
  }
}
