/**
 * Safe, bounded serialisation: turns any value into JSON text without ever throwing.
 * Circular references, BigInt, Symbols, functions, class instances, Buffers, typed arrays,
 * Maps/Sets, Errors, getters that throw and huge strings all produce bounded output.
 */

export const TRUNCATION_MARKER = '...[truncated]';
export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;

export interface SerializeOptions {
  /** Maximum length of the returned string, marker included. */
  maxLength?: number;
  /** Maximum nesting depth; deeper values become `"[Object]"` / `"[Array]"`. */
  maxDepth?: number;
  /** Maximum entries serialised per object/array/map/set. */
  maxEntries?: number;
}

const DEFAULTS = { maxLength: DEFAULT_MAX_CONTENT_LENGTH, maxDepth: 8, maxEntries: 200 };

/** Truncates `text` to `maxLength` characters, ending with a visible marker when cut. */
export function truncate(text: string, maxLength: number = DEFAULT_MAX_CONTENT_LENGTH): string {
  if (maxLength <= 0 || text.length <= maxLength) return text;
  if (maxLength <= TRUNCATION_MARKER.length) return TRUNCATION_MARKER.slice(0, maxLength);
  return text.slice(0, maxLength - TRUNCATION_MARKER.length) + TRUNCATION_MARKER;
}

/**
 * JSON for any value, bounded by `maxLength`. Strings are returned as-is (not quoted) so that
 * plain text content reads naturally on a span; everything else is JSON.
 */
export function safeStringify(value: unknown, options: SerializeOptions = {}): string {
  const maxLength = options.maxLength ?? DEFAULTS.maxLength;
  try {
    if (typeof value === 'string') return truncate(value, maxLength);
    const budget = { chars: maxLength > 0 ? maxLength * 2 : Number.POSITIVE_INFINITY };
    const plain = toPlain(
      value,
      options.maxDepth ?? DEFAULTS.maxDepth,
      options.maxEntries ?? DEFAULTS.maxEntries,
      new WeakSet(),
      budget,
      maxLength,
    );
    const json = JSON.stringify(plain);
    return truncate(json === undefined ? 'null' : json, maxLength);
  } catch {
    return '"[unserializable]"';
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

  function convert(v: unknown, depth: number): unknown {
    if (budget.chars <= 0) return TRUNCATION_MARKER;
    switch (typeof v) {
      case 'string': {
        const s = truncate(v, Math.min(maxStringLength, Math.max(budget.chars, 16)));
        budget.chars -= s.length;
        return s;
      }
      case 'number':
        budget.chars -= 8;
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        budget.chars -= 5;
        return v;
      case 'bigint':
        budget.chars -= 8;
        return `${v.toString()}n`;
      case 'symbol':
        return safeSymbol(v);
      case 'function':
        return `[Function ${safeName(v)}]`;
      case 'undefined':
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (seen.has(obj)) return '[Circular]';
    if (depth >= maxDepth) return Array.isArray(obj) ? '[Array]' : '[Object]';
    seen.add(obj);
    try {
      if (obj instanceof Date)
        return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
      if (obj instanceof Error) return errorToPlain(obj, depth);
      if (typeof Buffer !== 'undefined' && Buffer.isBuffer(obj))
        return `[Buffer ${obj.length} bytes]`;
      if (ArrayBuffer.isView(obj))
        return `[${obj.constructor?.name ?? 'TypedArray'} ${obj.byteLength} bytes]`;
      if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
      if (obj instanceof RegExp) return String(obj);
      if (obj instanceof Map) return entriesToPlain([...mapEntries(obj)], depth);
      if (obj instanceof Set) return listToPlain([...limited(obj.values(), maxEntries + 1)], depth);
      if (obj instanceof WeakMap || obj instanceof WeakSet) return `[${obj.constructor.name}]`;
      if (isPromiseLike(obj)) return '[Promise]';
      if (Array.isArray(obj)) return listToPlain(obj, depth);
      return objectToPlain(obj, depth);
    } finally {
      seen.delete(obj);
    }
  }

  function listToPlain(list: ArrayLike<unknown>, depth: number): unknown[] {
    const out: unknown[] = [];
    const n = Math.min(list.length, maxEntries);
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
    if (list.length > n) out.push(`[${list.length - n} more items]`);
    return out;
  }

  function entriesToPlain(entries: [unknown, unknown][], depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let i = 0;
    for (const [k, val] of entries) {
      if (i++ >= maxEntries) {
        out['[more]'] = '[more entries]';
        break;
      }
      out[typeof k === 'string' ? k : safeStringify(k, { maxLength: 100 })] = convert(
        val,
        depth + 1,
      );
    }
    return out;
  }

  function mapEntries(map: Map<unknown, unknown>): Iterable<[unknown, unknown]> {
    return limited(map.entries(), maxEntries + 1);
  }

  function objectToPlain(obj: object, depth: number): unknown {
    // Objects with their own JSON form (LangChain messages, Decimal, URL...) say what they are.
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      try {
        const j = (toJSON as () => unknown).call(obj);
        if (j !== obj) return convert(j, depth);
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
    if (ctorName && ctorName !== 'Object' && keys.length === 0) return `[${ctorName}]`;
    let count = 0;
    for (const key of keys) {
      if (count++ >= maxEntries) {
        out['[more]'] = `[${keys.length - maxEntries} more keys]`;
        break;
      }
      let val: unknown;
      try {
        val = (obj as Record<string, unknown>)[key];
      } catch {
        val = '[Throws]';
      }
      const c = convert(val, depth + 1);
      if (c !== undefined) out[key] = c;
      if (budget.chars <= 0) break;
    }
    return out;
  }

  function errorToPlain(err: Error, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    try {
      out.name = err.name;
      out.message = convert(err.message, depth + 1);
    } catch {
      out.name = 'Error';
    }
    return out;
  }
}

function* limited<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) return;
    yield r.value;
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
