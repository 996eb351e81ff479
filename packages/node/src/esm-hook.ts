/**
 * Registers OpenTelemetry's ESM loader hook (import-in-the-middle), limited to the modules
 * our instrumentations patch. Without an `include` list every imported module is wrapped,
 * which slows start-up noticeably; with package names alone nothing is patched, because the
 * instrumentations hook internal files. So the list holds RegExps on those files' URLs.
 */
import * as nodeModule from 'node:module';
import { diag } from '@opentelemetry/api';

const REGISTERED = Symbol.for('genai-otel.esm-hook.registered');

export function registerEsmHook(include: Array<string | RegExp>): boolean {
  const g = globalThis as Record<symbol, unknown>;
  if (g[REGISTERED]) return false;
  if (include.length === 0) return false;
  const register = (nodeModule as { register?: (...args: unknown[]) => void }).register;
  if (typeof register !== 'function') {
    diag.warn(
      'genai-otel: module.register is unavailable (Node < 20.6): ESM modules are not patched',
    );
    return false;
  }
  try {
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
      data: { include },
    });
    g[REGISTERED] = true;
    return true;
  } catch (err) {
    diag.error('genai-otel: could not register the ESM loader hook', err);
    return false;
  }
}

export function esmHookRegistered(): boolean {
  return Boolean((globalThis as Record<symbol, unknown>)[REGISTERED]);
}
