import { parentId } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORIGINAL } from '../src/patcher.js';
import { buildIndex, drain, type Fakes, loadLlamaIndex, makeFakes, VERSIONS } from './fixtures.js';
import { byName, createHarness, one, spanId } from './setup.js';

const h = createHarness();

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

/** The methods we patch on each core copy, read from the module's exported classes. */
function patchPoints(li: any): Array<[object, string]> {
  return [
    [li.BaseQueryEngine.prototype, 'query'],
    [li.RetrieverQueryEngine.prototype, '_query'],
    [li.BaseRetriever.prototype, 'retrieve'],
    [li.BaseEmbedding.prototype, 'getQueryEmbedding'],
    [li.BaseEmbedding.prototype, 'getTextEmbeddingsBatch'],
    [li.BaseSynthesizer.prototype, 'synthesize'],
    [li.ContextChatEngine.prototype, 'chat'],
    [li.SimpleChatEngine.prototype, 'chat'],
    [li.AgentRunner.prototype, 'chat'],
    [li.BaseLLM.prototype, 'complete'],
  ];
}

const isOurs = (fn: unknown) => typeof fn === 'function' && (fn as any)[ORIGINAL] !== undefined;

describe.each(VERSIONS)('llamaindex $label lifecycle', ({ specifier }) => {
  let li: any;
  let fakes: Fakes;
  let index: any;

  beforeAll(async () => {
    li = loadLlamaIndex(specifier);
    fakes = makeFakes(li);
    index = await buildIndex(li, fakes);
  });

  beforeEach(() => {
    h.instrumentor.instrument();
    h.t.reset();
  });

  it('the require hook patched the prototypes of this core copy', () => {
    for (const [proto, key] of patchPoints(li)) {
      expect(isOurs((proto as any)[key]), key).toBe(true);
    }
  });

  it('uninstrument() restores every original, and emits nothing', async () => {
    const originals = patchPoints(li).map(([proto, key]) => (proto as any)[key][ORIGINAL]);
    // The user-defined LLM class is patched on first sight (here: during a query).
    await index.asQueryEngine().query({ query: 'discover' });
    h.t.reset();
    const llmChat = Object.getPrototypeOf(fakes.llm).chat;
    expect(isOurs(llmChat)).toBe(true);

    h.instrumentor.uninstrument();
    patchPoints(li).forEach(([proto, key], i) => {
      expect((proto as any)[key], key).toBe(originals[i]);
    });
    expect(Object.getPrototypeOf(fakes.llm).chat).toBe(llmChat[ORIGINAL]);
    // The Settings accessors are plain again too.
    for (const settings of [li.Settings, Object.getPrototypeOf(li.Settings)]) {
      const desc = Object.getOwnPropertyDescriptor(settings, 'llm');
      if (desc?.set) expect(isOurs(desc.set)).toBe(false);
    }
    await index.asQueryEngine().query({ query: 'silent' });
    await fakes.llm.chat({ messages: [{ role: 'user', content: 'silent' }] });
    expect(h.t.spans()).toHaveLength(0);
  });

  it('instrument() after uninstrument() patches the loaded module again', async () => {
    h.instrumentor.uninstrument();
    h.instrumentor.instrument();
    for (const [proto, key] of patchPoints(li)) expect(isOurs((proto as any)[key]), key).toBe(true);
    await index.asQueryEngine().query({ query: 'back again' });
    expect(one(h.t.spans(), 'chat fake-llm-1')).toBeDefined();
  });

  it('double instrument() is harmless: one span per operation, no double wrapping', async () => {
    h.instrumentor.instrument();
    h.instrumentor.instrument();
    h.instrumentor.manuallyInstrument(li);
    for (const [proto, key] of patchPoints(li)) {
      const fn = (proto as any)[key];
      expect(isOurs(fn[ORIGINAL]), key).toBe(false);
    }
    await index.asQueryEngine().query({ query: 'once' });
    expect(
      h.t
        .spans()
        .map((s: any) => s.name)
        .sort(),
    ).toEqual([
      'chat fake-llm-1',
      'embeddings fake-embed-v1',
      'query',
      'retrieval VectorIndexRetriever',
      'synthesize',
    ]);
  });

  it('query engines created before instrument() are traced (through _query)', async () => {
    h.instrumentor.uninstrument();
    const early = index.asQueryEngine();
    const earlyStream = index.asQueryEngine();
    h.instrumentor.instrument();
    // The instance's own `query` was bound to the unpatched prototype method...
    expect(isOurs(early.query)).toBe(false);
    await early.query({ query: 'old engine' });
    const spans = h.t.spans();
    const q = one(spans, 'query');
    expect(parentId(one(spans, 'retrieval VectorIndexRetriever'))).toBe(spanId(q));
    expect(parentId(one(spans, 'synthesize'))).toBe(spanId(q));
    h.t.reset();
    await drain(await earlyStream.query({ query: 'old engine, streamed', stream: true }));
    expect(one(h.t.spans(), 'query').attributes['genai_otel.stream.chunk_count']).toBeGreaterThan(
      0,
    );
  });

  it('chat engines created before instrument() are traced after manuallyInstrument(engine)', async () => {
    h.instrumentor.uninstrument();
    const early = new li.ContextChatEngine({ retriever: index.asRetriever() });
    h.instrumentor.instrument();
    await early.chat({ message: 'before' });
    // Without help, the LLM and retrieval spans exist but the chat_engine span does not.
    expect(byName(h.t.spans(), 'chat_engine')).toHaveLength(0);
    expect(byName(h.t.spans(), 'chat fake-llm-1')).toHaveLength(1);
    h.t.reset();
    h.instrumentor.manuallyInstrument(early);
    h.instrumentor.manuallyInstrument(early);
    await early.chat({ message: 'after' });
    const spans = h.t.spans();
    const c = one(spans, 'chat_engine');
    expect(parentId(one(spans, 'chat fake-llm-1'))).toBe(spanId(c));
    // ...and uninstrument() takes the instance patch off again.
    h.instrumentor.uninstrument();
    expect(isOurs(early.chat)).toBe(false);
  });

  it('agents created before instrument() are traced after manuallyInstrument(agent)', async () => {
    h.instrumentor.uninstrument();
    const agent = new li.LLMAgent({ llm: fakes.llm, tools: [] });
    h.instrumentor.instrument();
    h.instrumentor.manuallyInstrument(agent);
    await agent.chat({ message: 'hi' });
    const spans = h.t.spans();
    expect(parentId(one(spans, 'chat fake-llm-1'))).toBe(
      spanId(one(spans, 'invoke_agent LLMAgent')),
    );
  });
});

describe('two copies of @llamaindex/core in one process', () => {
  it('classes from the other copy (provider packages, user classes) are traced in a pipeline', async () => {
    h.instrumentor.instrument();
    h.t.reset();
    const newer = loadLlamaIndex('llamaindex');
    const older = loadLlamaIndex('llamaindex-0.10');
    expect(newer.BaseLLM).not.toBe(older.BaseLLM);
    // An LLM and an embedding model built on the OLD core, used by a NEW-core pipeline.
    const { FakeLLM, FakeEmbedding } = makeFakes(older);
    class OtherCopyLLM extends FakeLLM {}
    class OtherCopyEmbedding extends FakeEmbedding {}
    const llm = new OtherCopyLLM();
    const embedModel = new OtherCopyEmbedding();
    const documents = [new newer.Document({ text: 'two copies of core', id_: 'x' })];
    const index = await newer.VectorStoreIndex.fromDocuments(documents, { embedModel } as any);
    const engine = index.asQueryEngine({
      retriever: index.asRetriever(),
      responseSynthesizer: newer.getResponseSynthesizer('compact', { llm }),
    } as any);
    h.t.reset();
    await engine.query({ query: 'does it work?' });
    const spans = h.t.spans();
    const synth = one(spans, 'synthesize');
    const chat = one(spans, 'chat fake-llm-1');
    expect(chat.attributes['genai_otel.llamaindex.class']).toBe('OtherCopyLLM');
    expect(parentId(chat)).toBe(spanId(synth));
    expect(byName(spans, 'embeddings fake-embed-v1').length).toBeGreaterThan(0);
  });
});
