import { diag } from '@opentelemetry/api';

/**
 * Runs a piece of our own telemetry code so that it can never break the host application:
 * any exception is logged through `diag` and swallowed, and `fallback` is returned instead.
 */
export function safely<T>(label: string, fn: () => T, fallback?: T): T {
  try {
    return fn();
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

export function logSwallowed(label: string, err: unknown): void {
  try {
    diag.error(`genai-otel: ${label} failed; the application is unaffected`, errorSummary(err));
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
