import { diag } from '@opentelemetry/api';

/**
 * Runs a piece of our own telemetry code so that it can never break the host application:
 * any exception is logged through `diag` and swallowed, and `fallback` is returned instead.
 * For synchronous code; use {@link safelyAsync} for promises.
 */
export function safely<T>(label: string, fn: () => T, fallback?: T): T {
  try {
    return fn();
  } catch (err) {
    logSwallowed(label, err);
    return fallback as T;
  }
}

/**
 * Async variant of {@link safely}: the returned promise never rejects (a synchronous throw or
 * a rejection is logged and becomes `fallback`).
 */
export async function safelyAsync<T>(
  label: string,
  fn: () => T | PromiseLike<T>,
  fallback?: T,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    logSwallowed(label, err);
    return fallback as T;
  }
}

/** Wraps `fn` so that each call is guarded with {@link safely}. */
export function guarded<A extends unknown[], R>(
  label: string,
  fn: (...args: A) => R,
): (...args: A) => R | undefined {
  return (...args: A) => safely(label, () => fn(...args));
}

/** Per label: the first {@link LOG_FIRST_N} failures are logged, then every {@link LOG_EVERY}th. */
const LOG_FIRST_N = 10;
const LOG_EVERY = 1000;
/** Labels tracked for rate limiting (bounded: the map is cleared when full). */
const MAX_LABELS = 256;
const failureCounts = new Map<string, number>();

/**
 * Logs a swallowed failure of our own code through `diag.error`, rate-limited per label so a
 * failing hot path cannot flood the log. Never throws, even with a throwing diag logger.
 */
export function logSwallowed(label: string, err: unknown): void {
  try {
    if (failureCounts.size >= MAX_LABELS && !failureCounts.has(label)) failureCounts.clear();
    const n = (failureCounts.get(label) ?? 0) + 1;
    failureCounts.set(label, n);
    if (n > LOG_FIRST_N && n % LOG_EVERY !== 0) return;
    const suffix = n > LOG_FIRST_N ? ` (${n} failures so far)` : '';
    diag.error(
      `genai-otel: ${label} failed; the application is unaffected${suffix}`,
      errorSummary(err),
    );
  } catch {
    // diag itself failed (a throwing logger): nothing left to do safely.
  }
}

function errorSummary(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
  } catch {
    return 'unprintable error';
  }
}
