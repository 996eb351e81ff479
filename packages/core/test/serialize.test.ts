import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedJson,
  DEFAULT_MAX_CONTENT_LENGTH,
  isCredentialKey,
  safeStringify,
  TRUNCATION_MARKER,
  toPlain,
  truncate,
} from '../src/index.js';

/** A Proxy whose handler throws from every trap (the handler is itself a Proxy). */
function throwingProxy(target: object = {}): object {
  const handler = new Proxy(
    {},
    {
      get: () => () => {
        throw new Error('trap');
      },
    },
  );
  return new Proxy(target, handler as ProxyHandler<object>);
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function deeplyNested(levels: number): unknown {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) v = { child: v };
  return v;
}

class WithGetters {
  visible = 1;
  #secret = 'hidden';
  get boom(): never {
    throw new Error('getter');
  }
  reveal(): string {
    return this.#secret;
  }
}

const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;
circular.list = [circular, { back: circular }];

const throwingGetter = Object.defineProperty({ ok: 1 }, 'bad', {
  enumerable: true,
  get() {
    throw new Error('nope');
  },
});

const hugeString = 'x'.repeat(2_000_000);
const hugeArray = new Array(1_000_000).fill(7);
const hugeMap = new Map(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
const hugeSet = new Set(Array.from({ length: 50_000 }, (_, i) => i));
const manyKeys = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`key${i}`, i]));
const deep = deeplyNested(10_000);
const hugeKey = { ['k'.repeat(1_000_000)]: 'v' };

let toJSONCounter = 0;
const infiniteToJSON = {
  toJSON(): unknown {
    toJSONCounter++;
    return { ...infiniteToJSON, n: toJSONCounter };
  },
};

const errorWithThrowingMessage = Object.defineProperty(new Error('x'), 'message', {
  get() {
    throw new Error('message getter');
  },
});

const HOSTILE: Record<string, () => unknown> = {
  circular: () => circular,
  bigint: () => 123456789012345678901234567890n,
  symbol: () => Symbol('s'),
  function: () => function namedFn() {},
  arrow: () => () => 1,
  classInstance: () => new WithGetters(),
  buffer: () => Buffer.alloc(1_000_000, 1),
  typedArray: () => new Float64Array(100_000),
  arrayBuffer: () => new ArrayBuffer(1024),
  dataView: () => new DataView(new ArrayBuffer(16)),
  hugeString: () => hugeString,
  loneSurrogate: () => `a\ud800b${'\ud83d\ude00'.repeat(100)}`,
  throwingGetter: () => throwingGetter,
  throwingProxy: () => throwingProxy(),
  throwingArrayProxy: () => throwingProxy([1, 2, 3]),
  throwingFunctionProxy: () => throwingProxy(() => 1),
  revokedProxy: () => revokedProxy(),
  deep: () => deep,
  hugeArray: () => hugeArray,
  sparseArray: () => {
    const a: unknown[] = [];
    a[4_000_000_000] = 1;
    return a;
  },
  hugeMap: () => hugeMap,
  hugeSet: () => hugeSet,
  manyKeys: () => manyKeys,
  hugeKey: () => hugeKey,
  infiniteToJSON: () => infiniteToJSON,
  throwingToJSON: () => ({
    toJSON() {
      throw new Error('toJSON');
    },
  }),
  errorWithThrowingMessage: () => errorWithThrowingMessage,
  invalidDate: () => new Date(Number.NaN),
  nullProto: () => Object.assign(Object.create(null), { a: 1 }),
  protoKey: () => JSON.parse('{"__proto__": {"polluted": true}, "b": 2}'),
  promise: () => Promise.resolve(1),
  weakMap: () => new WeakMap(),
  nan: () => Number.NaN,
  infinity: () => Number.NEGATIVE_INFINITY,
  regexp: () => /a+b/gi,
  mapWithObjectKeys: () => new Map<unknown, unknown>([[{ a: 1 }, circular]]),
};

function assertBounded(out: unknown, maxLength: number): void {
  expect(typeof out).toBe('string');
  expect((out as string).length).toBeLessThanOrEqual(maxLength);
}

describe('safeStringify with hostile values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`${name}: never throws, bounded, and valid JSON for non-strings`, () => {
      const value = make();
      for (const maxLength of [40, 1000, DEFAULT_MAX_CONTENT_LENGTH]) {
        const out = safeStringify(value, { maxLength });
        assertBounded(out, maxLength);
        if (typeof value !== 'string') expect(() => JSON.parse(out)).not.toThrow();
      }
      // Also nested inside an ordinary structure.
      const nested = safeStringify({ ok: 'yes', inner: [value, { value }] }, { maxLength: 2000 });
      assertBounded(nested, 2000);
      expect(JSON.parse(nested).ok).toBe('yes');
    });
  }

  it('describes what it cannot serialise instead of failing', () => {
    const out = JSON.parse(
      safeStringify({
        c: circular,
        b: 10n,
        s: Symbol('tag'),
        f: function hello() {},
        buf: Buffer.from('abc'),
        u8: new Uint8Array(4),
        getter: throwingGetter,
        proxy: throwingProxy(),
        err: new TypeError('bad input'),
        date: new Date(0),
        cls: new WithGetters(),
        map: new Map([['a', 1]]),
        set: new Set([1, 2]),
      }),
    );
    expect(out.c.self).toBe('[Circular]');
    expect(out.b).toBe('10n');
    expect(out.s).toBe('Symbol(tag)');
    expect(out.f).toBe('[Function hello]');
    expect(out.buf).toBe('[Buffer 3 bytes]');
    expect(out.u8).toBe('[Uint8Array 4 bytes]');
    expect(out.getter).toEqual({ ok: 1, bad: '[Throws]' });
    expect(out.proxy).toBe('[Unserializable]');
    expect(out.err).toEqual({ name: 'TypeError', message: 'bad input' });
    expect(out.date).toBe('1970-01-01T00:00:00.000Z');
    expect(out.cls).toEqual({ visible: 1 });
    expect(out.map).toEqual({ a: 1 });
    expect(out.set).toEqual([1, 2]);
  });

  it('keeps a __proto__ key as data and never pollutes prototypes', () => {
    const out = safeStringify(HOSTILE.protoKey());
    expect(JSON.parse(out)).toEqual(JSON.parse('{"__proto__": {"polluted": true}, "b": 2}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('limits depth, entries and reports what was left out', () => {
    const out = JSON.parse(safeStringify({ list: hugeArray.slice(0, 500) }, { maxLength: 0 }));
    expect(out.list).toHaveLength(201);
    expect(out.list[200]).toBe('[300 more items]');
    const deepOut = safeStringify(deeplyNested(20), { maxLength: 0 });
    expect(deepOut).toContain('"[Object]"');
  });

  it('keeps structured values valid JSON when truncating, with visible markers', () => {
    const messages = [
      { role: 'user', parts: [{ type: 'text', content: 'a'.repeat(5000) }] },
      { role: 'assistant', parts: [{ type: 'text', content: 'b'.repeat(5000) }] },
    ];
    const out = safeStringify(messages, { maxLength: 1000 });
    expect(out.length).toBeLessThanOrEqual(1000);
    const parsed = JSON.parse(out);
    expect(parsed[0].role).toBe('user');
    expect(parsed[1].role).toBe('assistant');
    expect(parsed[0].parts[0].content.endsWith(TRUNCATION_MARKER)).toBe(true);
  });

  it('returns strings as text, truncated with the marker', () => {
    expect(safeStringify('hello')).toBe('hello');
    const out = safeStringify('z'.repeat(100), { maxLength: 30 });
    expect(out).toHaveLength(30);
    expect(out.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});

describe('truncate', () => {
  it('cuts with a visible marker and never splits a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    const emoji = '\ud83d\ude00'.repeat(20);
    for (let n = 15; n < 30; n++) {
      const out = truncate(emoji, n);
      expect(out.length).toBeLessThanOrEqual(n);
      expect(out.endsWith(TRUNCATION_MARKER)).toBe(true);
      const body = out.slice(0, -TRUNCATION_MARKER.length);
      expect(body.length % 2).toBe(0);
    }
    expect(truncate('abcdef', 3)).toBe(TRUNCATION_MARKER.slice(0, 3));
  });
});

describe('property-based (fast-check, fixed seed)', () => {
  const anyValue = fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  });
  // Hostile values are built inside the property (fast-check itself would trip over a
  // throwing Proxy while describing them) and embedded into the generated value.
  const hostileKeys = fc.array(fc.constantFrom(...Object.keys(HOSTILE)), { maxLength: 4 });
  const embed = (base: unknown, keys: string[], shape: number): unknown => {
    const hostile = keys.map((k) => HOSTILE[k]!());
    switch (shape % 4) {
      case 0:
        return base;
      case 1:
        return [base, ...hostile];
      case 2:
        return { base, ...Object.fromEntries(hostile.map((h, i) => [`h${i}`, h])) };
      default:
        return new Map<unknown, unknown>([
          ['base', base],
          ['deep', { list: [hostile, { again: hostile }] }],
        ]);
    }
  };

  it('safeStringify never throws and is bounded; non-strings stay valid JSON', () => {
    fc.assert(
      fc.property(
        anyValue,
        hostileKeys,
        fc.nat(),
        fc.integer({ min: 1, max: 4000 }),
        (base, keys, shape, maxLength) => {
          const value = embed(base, keys, shape);
          const out = safeStringify(value, { maxLength });
          expect(typeof out).toBe('string');
          expect(out.length).toBeLessThanOrEqual(maxLength);
          if (typeof value !== 'string' && maxLength >= 32) JSON.parse(out);
        },
      ),
      { seed: 20261124, numRuns: 400 },
    );
  });

  it('toPlain output is always JSON-serialisable', () => {
    fc.assert(
      fc.property(anyValue, hostileKeys, fc.nat(), (base, keys, shape) => {
        const plain = toPlain(embed(base, keys, shape));
        expect(() => JSON.stringify(plain)).not.toThrow();
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('boundedJson keeps JSON round-trippable values valid and bounded', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 32, max: 2000 }), (value, maxLength) => {
        const out = boundedJson(value, maxLength);
        expect(out.length).toBeLessThanOrEqual(maxLength);
        JSON.parse(out);
        const full = JSON.stringify(value) ?? 'null';
        if (full.length <= maxLength) expect(out).toBe(full);
      }),
      { seed: 99, numRuns: 400 },
    );
  });
});

describe('credential-like properties', () => {
  it('never serialises the values of credential keys, at any depth, in objects and maps', () => {
    const secret = 'sk-ant-very-secret';
    const value = {
      kwargs: {
        content: 'hi',
        response_metadata: { headers: { authorization: `Bearer ${secret}` } },
      },
      anthropicApiKey: secret,
      'x-api-key': secret,
      client_secret: secret,
      nested: [{ access_token: secret, password: secret }],
      map: new Map([['apiKey', secret]]),
      max_tokens: 10,
      input_tokens: 3,
    };
    const text = safeStringify(value);
    expect(text).not.toContain(secret);
    const parsed = JSON.parse(text);
    expect(parsed.anthropicApiKey).toBe('[REDACTED]');
    expect(parsed.kwargs.response_metadata.headers.authorization).toBe('[REDACTED]');
    expect(parsed.kwargs.content).toBe('hi');
    expect(parsed.max_tokens).toBe(10);
    expect(parsed.input_tokens).toBe(3);
  });

  it('recognises common spellings and leaves ordinary keys alone', () => {
    for (const k of [
      'apiKey',
      'api_key',
      'X-Api-Key',
      'Authorization',
      'openAIApiKey',
      'token',
      'Cookie',
      'set-cookie',
      'refreshToken',
      'private_key',
    ]) {
      expect(isCredentialKey(k), k).toBe(true);
    }
    for (const k of [
      'max_tokens',
      'input_tokens',
      'content',
      'role',
      'tokenUsage',
      'author',
      'model',
    ]) {
      expect(isCredentialKey(k), k).toBe(false);
    }
  });
});
