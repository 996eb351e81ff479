/**
 * Safe, bounded serialisation: turns any value into JSON text without ever throwing.
 * Circular references, BigInt, Symbols, functions, class instances, Buffers, typed arrays,
 * Maps/Sets, Errors, getters that throw, Proxies that throw on every trap, deep nesting and
 * huge strings/arrays/maps all produce bounded output.
 *
 * When a structured value does not fit, strings, then collections, then depth are shrunk so
 * that the result is still valid JSON (cut places carry a visible marker); only when even the
 * most compact form does not fit is the JSON text itself cut (ending with the marker).
 */

export const TRUNCATION_MARKER = '...[truncated]';
export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;

export interface SerializeOptions {
  /** Maximum length of the returned string, marker included. `<= 0` means unbounded. */
  maxLength?: number;
  /** Maximum nesting depth; deeper values become `"[Object]"` / `"[Array]"`. */
  maxDepth?: number;
  /** Maximum entries serialised per object/array/map/set. */
  maxEntries?: number;
}

const DEFAULTS = { maxLength: DEFAULT_MAX_CONTENT_LENGTH, maxDepth: 8, maxEntries: 200 };
/** Object keys longer than this are cut (keys are data too). */
const MAX_KEY_LENGTH = 256;

/**
 * Truncates `text` to `maxLength` characters, ending with a visible marker when cut. Never
 * splits a UTF-16 surrogate pair.
 */
export function truncate(text: string, maxLength: number = DEFAULT_MAX_CONTENT_LENGTH): string {
  if (!(maxLength > 0) || text.length <= maxLength) return text;
  if (maxLength <= TRUNCATION_MARKER.length) return TRUNCATION_MARKER.slice(0, maxLength);
  let cut = maxLength - TRUNCATION_MARKER.length;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + TRUNCATION_MARKER;
}

/**
 * JSON for any value, bounded by `maxLength`. Strings are returned as-is (not quoted) so that
 * plain text content reads naturally on a span; everything else is JSON (valid JSON whenever
 * `maxLength` leaves room for the most compact form, see {@link boundedJson}).
 */
export function safeStringify(value: unknown, options: SerializeOptions = {}): string {
  const maxLength = options.maxLength ?? DEFAULTS.maxLength;
  try {
    if (typeof value === 'string') return truncate(value, maxLength);
    const bounded = maxLength > 0;
    const plain = toPlain(
      value,
      options.maxDepth ?? DEFAULTS.maxDepth,
      options.maxEntries ?? DEFAULTS.maxEntries,
      new WeakSet(),
      { chars: bounded ? maxLength * 2 : Number.POSITIVE_INFINITY },
      bounded ? maxLength : Number.POSITIVE_INFINITY,
    );
    return boundedJson(plain, maxLength);
  } catch {
    return truncate('"[unserializable]"', maxLength);
  }
}

/**
 * JSON text of an already plain (JSON-safe, acyclic) value, at most `maxLength` characters.
 * If the full form is too long, strings are shortened first, then collections, then depth,
 * each cut marked; the result stays valid JSON unless even `"[Object]"` does not fit.
 */
export function boundedJson(plain: unknown, maxLength: number): string {
  try {
    const full = JSON.stringify(plain) ?? 'null';
    if (!(maxLength > 0) || full.length <= maxLength) return full;
    let strLimit = Math.max(16, Math.floor(maxLength / 2));
    let entries = DEFAULTS.maxEntries;
    let depth = DEFAULTS.maxDepth;
    for (let i = 0; i < 64; i++) {
      const json = JSON.stringify(shrink(plain, strLimit, entries, depth)) ?? 'null';
      if (json.length <= maxLength) return json;
      if (strLimit > 16) strLimit = Math.max(16, Math.floor(strLimit / 2));
      else if (entries > 1) entries = Math.max(1, Math.floor(entries / 2));
      else if (depth > 0) depth -= 1;
      else break;
    }
    return truncate(full, maxLength);
  } catch {
    return truncate('"[unserializable]"', maxLength);
  }
}

function shrink(v: unknown, strLimit: number, entries: number, depth: number): unknown {
  if (typeof v === 'string') return truncate(v, strLimit);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    if (depth <= 0) return '[Array]';
    const out = v.slice(0, entries).map((x) => shrink(x, strLimit, entries, depth - 1));
    if (v.length > entries) out.push(`[${v.length - entries} more items]`);
    return out;
  }
  if (depth <= 0) return '[Object]';
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (const key of keys.slice(0, entries)) {
    setKey(
      out,
      truncate(key, strLimit),
      shrink((v as Record<string, unknown>)[key], strLimit, entries, depth - 1),
    );
  }
  if (keys.length > entries) setKey(out, '[more]', `[${keys.length - entries} more keys]`);
  return out;
}

/** Own-property assignment that also works for the key `__proto__`. */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

/**
 * Converts a value into a JSON-safe plain structure (no cycles, no exotic types), bounded in
 * depth, entries, and (roughly) total string size. Never throws.
 */
export function toPlain(
  value: unknown,
  maxDepth = DEFAULTS.maxDepth,
  maxEntries = DEFAULTS.maxEntries,
  seen: WeakSet<object> = new WeakSet(),
  budget: { chars: number } = { chars: Number.POSITIVE_INFINITY },
  maxStringLength = DEFAULTS.maxLength,
): unknown {
  try {
    return convert(value, 0);
  } catch {
    return '[unserializable]';
  }

  function str(s: string, limit = maxStringLength): string {
    const out = truncate(s, Math.min(limit, Math.max(budget.chars, 16)));
    budget.chars -= out.length;
    return out;
  }

  function convert(v: unknown, depth: number): unknown {
    if (budget.chars <= 0) return TRUNCATION_MARKER;
    switch (typeof v) {
      case 'string':
        return str(v);
      case 'number':
        budget.chars -= 8;
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        budget.chars -= 5;
        return v;
      case 'bigint':
        return str(`${v.toString()}n`);
      case 'symbol':
        return str(safeSymbol(v), 256);
      case 'function':
        return str(`[Function ${safeName(v)}]`, 256);
      case 'undefined':
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (seen.has(obj)) return '[Circular]';
    let isArray: boolean;
    try {
      isArray = Array.isArray(obj);
    } catch {
      return '[Unserializable]'; // revoked Proxy
    }
    if (depth >= maxDepth) return isArray ? '[Array]' : '[Object]';
    seen.add(obj);
    try {
      return convertObject(obj, isArray, depth);
    } catch {
      // Proxies that throw on every trap, exotic host objects...
      return '[Unserializable]';
    } finally {
      seen.delete(obj);
    }
  }

  function convertObject(obj: object, isArray: boolean, depth: number): unknown {
    if (isArray) return listToPlain(obj as unknown[], depth);
    if (obj instanceof Date)
      return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof Error) return errorToPlain(obj, depth);
    if (typeof Buffer !== 'undefined' && Buffer.isBuffer(obj))
      return `[Buffer ${obj.length} bytes]`;
    if (ArrayBuffer.isView(obj))
      return `[${safeCtorName(obj) ?? 'TypedArray'} ${obj.byteLength} bytes]`;
    if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
    if (typeof SharedArrayBuffer !== 'undefined' && obj instanceof SharedArrayBuffer)
      return `[SharedArrayBuffer ${obj.byteLength} bytes]`;
    if (obj instanceof RegExp) return str(String(obj), 256);
    if (obj instanceof Map) return entriesToPlain(obj, depth);
    if (obj instanceof Set) return setToPlain(obj, depth);
    if (obj instanceof WeakMap) return '[WeakMap]';
    if (obj instanceof WeakSet) return '[WeakSet]';
    if (isPromiseLike(obj)) return '[Promise]';
    return objectToPlain(obj, depth);
  }

  function listToPlain(list: ArrayLike<unknown>, depth: number): unknown[] {
    const out: unknown[] = [];
    const length = list.length;
    const n = Math.min(length, maxEntries);
    for (let i = 0; i < n; i++) {
      let item: unknown;
      try {
        item = list[i];
      } catch {
        item = '[Throws]';
      }
      const c = convert(item, depth + 1);
      out.push(c === undefined ? null : c);
      if (budget.chars <= 0) break;
    }
    if (length > out.length) out.push(`[${length - out.length} more items]`);
    return out;
  }

  function setToPlain(set: Set<unknown>, depth: number): unknown[] {
    const items: unknown[] = [];
    const it = set.values();
    for (let i = 0; i < maxEntries; i++) {
      const r = it.next();
      if (r.done) break;
      items.push(r.value);
    }
    const out = listToPlain(items, depth);
    if (set.size > items.length) out.push(`[${set.size - items.length} more items]`);
    return out;
  }

  function entriesToPlain(map: Map<unknown, unknown>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const it = map.entries();
    let i = 0;
    for (;;) {
      const r = it.next();
      if (r.done) break;
      if (i++ >= maxEntries) {
        setKey(out, '[more]', `[${map.size - maxEntries} more entries]`);
        break;
      }
      const [k, val] = r.value;
      const key =
        typeof k === 'string'
          ? str(k, MAX_KEY_LENGTH)
          : safeStringify(k, { maxLength: MAX_KEY_LENGTH, maxDepth: 2, maxEntries: 8 });
      setKey(
        out,
        key,
        typeof k === 'string' && isCredentialKey(k) ? REDACTED : convert(val, depth + 1),
      );
      if (budget.chars <= 0) break;
    }
    return out;
  }

  function objectToPlain(obj: object, depth: number): unknown {
    // Objects with their own JSON form (LangChain messages, Decimal, URL...) say what they are.
    let toJSON: unknown;
    try {
      toJSON = (obj as { toJSON?: unknown }).toJSON;
    } catch {
      toJSON = undefined;
    }
    if (typeof toJSON === 'function') {
      try {
        const j = (toJSON as () => unknown).call(obj);
        if (j !== obj) return convert(j, depth + 1);
      } catch {
        // fall through to the property walk
      }
    }
    const out: Record<string, unknown> = {};
    let keys: string[];
    try {
      keys = Object.keys(obj);
    } catch {
      return '[Object]';
    }
    const ctorName = safeCtorName(obj);
    if (ctorName && ctorName !== 'Object' && keys.length === 0) return str(`[${ctorName}]`, 256);
    let count = 0;
    for (const key of keys) {
      if (count++ >= maxEntries) {
        setKey(out, '[more]', `[${keys.length - maxEntries} more keys]`);
        break;
      }
      let val: unknown;
      try {
        val = (obj as Record<string, unknown>)[key];
      } catch {
        val = '[Throws]';
      }
      const c = isCredentialKey(key) ? REDACTED : convert(val, depth + 1);
      if (c !== undefined) setKey(out, str(key, MAX_KEY_LENGTH), c);
      if (budget.chars <= 0) break;
    }
    return out;
  }

  function errorToPlain(err: Error, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    try {
      out.name = str(String(err.name), 256);
    } catch {
      out.name = 'Error';
    }
    try {
      out.message = convert(err.message, depth + 1);
    } catch {
      // no message
    }
    try {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' || typeof code === 'number') out.code = code;
    } catch {
      // no code
    }
    return out;
  }
}

function isPromiseLike(v: object): boolean {
  try {
    return typeof (v as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

function safeName(fn: Function): string {
  try {
    return fn.name || 'anonymous';
  } catch {
    return 'anonymous';
  }
}

function safeSymbol(s: symbol): string {
  try {
    return s.toString();
  } catch {
    return 'Symbol()';
  }
}

function safeCtorName(obj: object): string | undefined {
  try {
    const proto = Object.getPrototypeOf(obj);
    if (proto === null) return undefined;
    const name = proto.constructor?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** What a credential-like property's value is replaced with in serialised content. */
export const REDACTED = '[REDACTED]';

const CREDENTIAL_KEY_PARTS = [
  'apikey',
  'authorization',
  'password',
  'passwd',
  'secret',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'sessiontoken',
  'bearer',
  'privatekey',
  'credential',
];
const CREDENTIAL_KEYS = new Set(['token', 'cookie', 'setcookie', 'auth', 'xapikey']);

/**
 * True for property names that hold credentials (`apiKey`, `anthropicApiKey`, `x-api-key`,
 * `Authorization`, `client_secret`, `access_token`, `cookie`...). Their values are never
 * serialised into content, whatever object they appear in: frameworks merge provider
 * metadata (headers, client options) into the objects we record when content capture is on.
 */
export function isCredentialKey(key: string): boolean {
  if (key.length > 64) return false;
  const k = key.toLowerCase().replace(/[-_\s.]/g, '');
  if (CREDENTIAL_KEYS.has(k)) return true;
  for (const part of CREDENTIAL_KEY_PARTS) if (k.includes(part)) return true;
  return false;
}
