/**
 * `error.type` for a failed Anthropic call, and cancellation detection. Works on the SDK's
 * error classes by shape (name, status, body), so every SDK version and copy is handled.
 */

type Obj = Record<string, any>;

function className(err: unknown): string | undefined {
  try {
    const ctor = (err as Obj)?.constructor?.name;
    return typeof ctor === 'string' && ctor && ctor !== 'Object' && ctor !== 'Error'
      ? ctor
      : undefined;
  } catch {
    return undefined;
  }
}

/** Did the application abort the call (its signal, `stream.controller.abort()`)? Core's test. */
export { isCancellation } from '@genai-otel/core';

/**
 * The API's error type when it sent one (`overloaded_error`, `rate_limit_error`, ...), else
 * the HTTP status (`529`), else the SDK's exception class (`APIConnectionTimeoutError`,
 * `APIConnectionError`), else `_OTHER`.
 */
export function anthropicErrorType(err: unknown): string {
  try {
    if (err && typeof err === 'object') {
      const e = err as Obj;
      const body = e.error;
      const apiType =
        (typeof body?.error?.type === 'string' && body.error.type) ||
        (typeof body?.type === 'string' && body.type !== 'error' && body.type) ||
        (typeof e.type === 'string' && e.type);
      if (apiType) return apiType;
      if (typeof e.status === 'number') return String(e.status);
      const cls = className(err);
      if (cls) return cls;
      if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
    }
  } catch {
    // fall through
  }
  return '_OTHER';
}

/** HTTP status of an API error, if any. */
export function errorStatus(err: unknown): number | undefined {
  const s = (err as Obj | undefined)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** `request-id` of an API error response, if any. */
export function errorRequestId(err: unknown): string | undefined {
  try {
    const e = err as Obj;
    if (typeof e?.requestID === 'string') return e.requestID;
    if (typeof e?.request_id === 'string') return e.request_id;
    const h = e?.headers;
    const v = typeof h?.get === 'function' ? h.get('request-id') : h?.['request-id'];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
