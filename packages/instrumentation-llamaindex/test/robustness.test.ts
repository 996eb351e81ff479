import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentId } from '@genai-otel/test-utils';
import { type Tracer, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex, drain, type Fakes, loadLlamaIndex, makeFakes } from './fixtures.js';
import { byName, createHarness, one, spanId, traceIdOf } from './setup.js';

const h = createHarness();
let li: any;
let fakes: Fakes;
let index: any;

beforeAll(async () => {
  li = loadLlamaIndex('llamaindex');
  fakes = makeFakes(li);
  index = await buildIndex(li, fakes);
});

beforeEach(() => {
  h.instrumentor.instrument();
  h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: false });
  h.t.reset();
});

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

describe('nesting under concurrency', () => {
  it('200 concurrent queries, each inside its own caller span, nest correctly', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    const tracer: Tracer = h.t.tracerProvider.getTracer('caller');
    const engine = index.asQueryEngine();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        tracer.startActiveSpan(`caller-${i}`, async (span) => {
          try {
            if (i % 2 === 0) await engine.query({ query: `question ${i}` });
            else await drain(await engine.query({ query: `question ${i}`, stream: true }));
          } finally {
            span.end();
          }
        }),
      ),
    );
    const spans = h.t.spans();
    const byTrace = new Map<string, any[]>();
    for (const s of spans) {
      const list = byTrace.get(traceIdOf(s)) ?? [];
      list.push(s);
      byTrace.set(traceIdOf(s), list);
    }
    expect(byTrace.size).toBe(200);
    for (const group of byTrace.values()) {
      const get = (name: string) => {
        const found = group.filter((s) => s.name.startsWith(name));
        expect(found, name).toHaveLength(1);
        return found[0];
      };
      const caller = get('caller-');
      const query = get('query');
      const retrieval = get('retrieval ');
      const embeddings = get('embeddings ');
      const synth = get('synthesize');
      const llm = get('chat ');
      expect(parentId(query)).toBe(spanId(caller));
      expect(parentId(retrieval)).toBe(spanId(query));
      expect(parentId(embeddings)).toBe(spanId(retrieval));
      expect(parentId(synth)).toBe(spanId(query));
      expect(parentId(llm)).toBe(spanId(synth));
      // No cross-talk: the query span carries its own caller's question.
      const i = caller.name.slice('caller-'.length);
      expect(query.attributes['genai_otel.input']).toBe(`question ${i}`);
      expect(retrieval.attributes['gen_ai.retrieval.query.text']).toBe(`question ${i}`);
    }
  });
});

type Outcome = { ok: true; type: string } | { ok: false; error: string };

async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    const v = await fn();
    return { ok: true, type: Object.prototype.toString.call(v) };
  } catch (e) {
    return { ok: false, error: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` };
  }
}

const throwingProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('hostile get');
      },
      has() {
        throw new Error('hostile has');
      },
      ownKeys() {
        throw new Error('hostile ownKeys');
      },
      getPrototypeOf() {
        throw new Error('hostile proto');
      },
    },
  );

describe('hostile inputs never throw from our code', () => {
  const hostile: Array<[string, () => unknown]> = [
    ['query(undefined)', () => index.asQueryEngine().query(undefined)],
    ['query(null)', () => index.asQueryEngine().query(null)],
    ['query(proxy)', () => index.asQueryEngine().query(throwingProxy())],
    ['query({query: proxy})', () => index.asQueryEngine().query({ query: throwingProxy() })],
    [
      'query with throwing toString',
      () =>
        index.asQueryEngine().query({
          query: {
            toString() {
              throw new Error('no string');
            },
          },
        }),
    ],
    ['retrieve(42)', () => index.asRetriever().retrieve(42)],
    ['retrieve(proxy)', () => index.asRetriever().retrieve(throwingProxy())],
    ['llm.chat(undefined)', () => fakes.llm.chat(undefined)],
    ['llm.chat({messages: proxy})', () => fakes.llm.chat({ messages: throwingProxy() })],
    [
      'llm.chat(getter messages)',
      () =>
        fakes.llm.chat({
          messages: [
            {
              get role() {
                throw new Error('role');
              },
              content: 'x',
            },
          ],
        }),
    ],
    ['llm.chat(tools: proxy)', () => fakes.llm.chat({ messages: [], tools: throwingProxy() })],
    ['llm.complete(proxy)', () => fakes.llm.complete(throwingProxy())],
    ['embed.getQueryEmbedding(proxy)', () => fakes.embed.getQueryEmbedding(throwingProxy())],
    ['embed.getTextEmbeddingsBatch(null)', () => fakes.embed.getTextEmbeddingsBatch(null)],
    [
      'chat engine chat(proxy)',
      () => new li.SimpleChatEngine({ llm: fakes.llm }).chat(throwingProxy()),
    ],
    ['synthesize(proxy)', () => li.getResponseSynthesizer('compact').synthesize(throwingProxy())],
  ];

  it.each(hostile)('%s behaves exactly as without instrumentation', async (_label, call) => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    const traced = await outcome(call);
    h.instrumentor.uninstrument();
    const plain = await outcome(call);
    h.instrumentor.instrument();
    expect(traced).toEqual(plain);
  });

  it('a broken tracer provider never reaches the application', async () => {
    const broken = {
      getTracer() {
        return {
          startSpan() {
            throw new Error('tracer down');
          },
          startActiveSpan() {
            throw new Error('tracer down');
          },
        };
      },
    };
    h.instrumentor.setTracerProvider(broken as any);
    try {
      const response = await index.asQueryEngine().query({ query: 'still works?' });
      expect(String(response)).toContain('Answer about');
      expect(
        await drain(await index.asQueryEngine().query({ query: 'stream', stream: true })),
      ).toContain('Answer');
    } finally {
      h.instrumentor.setTracerProvider(h.t.tracerProvider);
    }
  });
});

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('memory', () => {
  it('heap stays flat over many queries (plain, streamed, abandoned)', async () => {
    const gc = forceGc();
    const engine = index.asQueryEngine();
    const round = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const mode = i % 3;
        if (mode === 0) await engine.query({ query: `q${i}` });
        else if (mode === 1) await drain(await engine.query({ query: `q${i}`, stream: true }));
        else {
          const s = await engine.query({ query: `q${i}`, stream: true });
          for await (const _ of s) break;
        }
        if (i % 50 === 0) h.t.reset();
      }
    };
    const heapAfterGc = async () => {
      await settle();
      gc();
      await settle();
      h.t.reset();
      gc();
      return process.memoryUsage().heapUsed;
    };
    await round(200);
    const before = await heapAfterGc();
    await round(1500);
    const after = await heapAfterGc();
    // A leak of one span (or one stream) per query would be several MB here; noise is < 1 MB.
    expect(after - before).toBeLessThan(1.5 * 1024 * 1024);
  }, 90_000);

  it('nothing of ours keeps streams that were never read alive', async () => {
    const gc = forceGc();
    const engine = index.asQueryEngine();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 50; i++) {
      refs.push(new WeakRef(await engine.query({ query: `dropped ${i}`, stream: true })));
    }
    for (let i = 0; i < 5; i++) {
      await settle();
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it('spans of streams dropped without reading end, when collected, at their last activity', async () => {
    const gc = forceGc();
    const engine = index.asQueryEngine();
    h.t.reset();
    for (let i = 0; i < 5; i++) await engine.query({ query: `dropped ${i}`, stream: true });
    const handedOver = Date.now();
    await new Promise((r) => setTimeout(r, 100)); // collected later, as in an application
    for (let i = 0; i < 20 && byName(h.t.spans(), 'query').length < 5; i++) {
      await settle();
      gc();
      await settle();
    }
    // The finalizer runs as a task after a full GC (forced above, up to 20 times).
    expect(byName(h.t.spans(), 'query').length).toBeGreaterThan(0);
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    for (const q of byName(h.t.spans(), 'query')) {
      expect(q.attributes['genai_otel.stream.abandoned']).toBe(true);
      // Ended at the stream's last activity (handed over unread), not at the collection.
      expect(ms(q.endTime)).toBeLessThanOrEqual(handedOver);
    }
    // The others ended by themselves, on the SDK's sub-millisecond clock: within that ms.
    for (const s of h.t.spans()) expect(ms(s.endTime)).toBeLessThanOrEqual(handedOver + 1);
  });

  it('a stream dropped after some chunks ends, when collected, at the last chunk read', async () => {
    const gc = forceGc();
    const engine = index.asQueryEngine();
    h.t.reset();
    const lastRead = await (async () => {
      const stream = await engine.query({ query: 'dropped midway', stream: true });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      await it.next();
      return Date.now();
    })();
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20 && byName(h.t.spans(), 'query').length < 1; i++) {
      await settle();
      gc();
      await settle();
    }
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    const q = one(h.t.spans(), 'query');
    expect(q.attributes['genai_otel.stream.abandoned']).toBe(true);
    expect(q.attributes['genai_otel.cancelled']).toBe(true); // one vocabulary with the others
    expect(q.status.code).not.toBe(2); // not an error
    expect(q.attributes['genai_otel.stream.chunk_count']).toBe(2);
    expect(ms(q.endTime)).toBeLessThanOrEqual(Math.max(lastRead, ms(q.startTime)));
  });
});

describe('global API', () => {
  it('uses the tracer provider it was given, not the global one', async () => {
    expect(trace.getTracerProvider()).not.toBe(h.t.tracerProvider);
    await index.asRetriever().retrieve({ query: 'x' });
    expect(byName(h.t.spans(), 'retrieval VectorIndexRetriever')).toHaveLength(1);
  });
});
