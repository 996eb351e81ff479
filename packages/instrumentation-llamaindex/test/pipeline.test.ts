import { parentId, renderTree } from '@genai-otel/test-utils';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildIndex,
  DOCS,
  drain,
  type Fakes,
  loadLlamaIndex,
  makeFakes,
  packageVersion,
  VERSIONS,
} from './fixtures.js';
import { byName, createHarness, one, spanId } from './setup.js';

const h = createHarness();

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

describe.each(VERSIONS)('llamaindex $label (CJS)', ({ specifier, label }) => {
  let li: any;
  let fakes: Fakes;
  let index: any;

  beforeAll(async () => {
    li = loadLlamaIndex(specifier);
    fakes = makeFakes(li);
    index = await buildIndex(li, fakes);
  });

  beforeEach(() => {
    h.t.reset();
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: false });
  });

  it('loads the version under test', () => {
    expect(packageVersion(specifier)).toBe(label);
  });

  it('traces index building as one embeddings span per batch call', async () => {
    await li.VectorStoreIndex.fromDocuments(
      DOCS.map((d) => new li.Document({ text: d.text, id_: d.id })),
    );
    const emb = one(h.t.spans(), 'embeddings fake-embed-v1');
    expect(emb.kind).toBe(SpanKind.CLIENT);
    expect(emb.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(emb.attributes['genai_otel.embeddings.batch_size']).toBe(3);
    expect(emb.attributes['gen_ai.embeddings.dimension.count']).toBe(4);
    expect(emb.attributes['genai_otel.llamaindex.class']).toBe('FakeEmbedding');
  });

  it('retriever: retrieval span with document count, ids and scores, no content by default', async () => {
    const nodes = await index
      .asRetriever({ similarityTopK: 2 })
      .retrieve({ query: 'What is OpenTelemetry?' });
    const spans = h.t.spans();
    const r = one(spans, 'retrieval VectorIndexRetriever');
    expect(r.kind).toBe(SpanKind.CLIENT);
    expect(r.attributes['gen_ai.operation.name']).toBe('retrieval');
    expect(r.attributes['genai_otel.retrieval.document_count']).toBe(2);
    const docs = JSON.parse(r.attributes['gen_ai.retrieval.documents']);
    expect(docs).toEqual(nodes.map((n: any) => ({ id: n.node.id_, score: n.score })));
    expect(r.attributes['gen_ai.retrieval.documents']).not.toContain('OpenTelemetry');
    expect(r.attributes['gen_ai.retrieval.query.text']).toBeUndefined();
    expect(r.attributes['gen_ai.data_source.id']).toBe(index.indexStruct.indexId);
    const emb = one(spans, 'embeddings fake-embed-v1');
    expect(parentId(emb)).toBe(spanId(r));
    expect(emb.attributes['genai_otel.embeddings.batch_size']).toBe(1);
  });

  it('retriever: content when capture is on', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: 'What is OpenTelemetry?' });
    const r = one(h.t.spans(), 'retrieval VectorIndexRetriever');
    expect(r.attributes['gen_ai.retrieval.query.text']).toBe('What is OpenTelemetry?');
    const docs = JSON.parse(r.attributes['gen_ai.retrieval.documents']);
    expect(DOCS.map((d) => d.text)).toContain(docs[0].content);
  });

  it('query engine: query CHAIN over retrieval and synthesis, LLM span inside synthesis', async () => {
    const response = await index.asQueryEngine().query({ query: 'What is OpenTelemetry?' });
    expect(String(response)).toContain('Answer about');
    const spans = h.t.spans();
    expect(renderTree(spans)).toBe(
      [
        'query',
        '  retrieval VectorIndexRetriever',
        '    embeddings fake-embed-v1',
        '  synthesize',
        '    chat fake-llm-1',
      ].join('\n'),
    );
    const q = one(spans, 'query');
    expect(q.kind).toBe(SpanKind.INTERNAL);
    expect(q.attributes['genai_otel.span.kind']).toBe('CHAIN');
    expect(q.attributes['genai_otel.llamaindex.class']).toBe('RetrieverQueryEngine');
    expect(q.attributes['genai_otel.input']).toBeUndefined();
    const synth = one(spans, 'synthesize');
    expect(synth.attributes['genai_otel.llamaindex.node_count']).toBe(2);

    const llm = one(spans, 'chat fake-llm-1');
    expect(llm.kind).toBe(SpanKind.CLIENT);
    expect(parentId(llm)).toBe(spanId(synth));
    expect(llm.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'fakellm',
      'gen_ai.request.model': 'fake-llm-1',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.stream': false,
      'gen_ai.response.id': 'msg_1',
      'gen_ai.response.model': 'fake-llm-1-resp',
      'gen_ai.usage.input_tokens': 25,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.usage.cache_read.input_tokens': 5,
      'genai_otel.framework': 'llamaindex',
    });
    expect(llm.attributes['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    expect(llm.attributes['gen_ai.input.messages']).toBeUndefined();

    const metrics = await h.t.metricsByName();
    const duration = metrics.get('gen_ai.client.operation.duration');
    const points = duration.dataPoints.filter(
      (p: any) => p.attributes['gen_ai.request.model'] === 'fake-llm-1',
    );
    expect(points.length).toBeGreaterThan(0);
    expect(points[0].attributes['gen_ai.provider.name']).toBe('fakellm');
    const tokens = metrics.get('gen_ai.client.token.usage');
    expect(tokens.dataPoints.some((p: any) => p.attributes['gen_ai.token.type'] === 'input')).toBe(
      true,
    );
  });

  it('query engine: input, output and messages with capture on', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    await index.asQueryEngine().query({ query: 'What is OpenTelemetry?' });
    const spans = h.t.spans();
    expect(one(spans, 'query').attributes['genai_otel.input']).toBe('What is OpenTelemetry?');
    expect(one(spans, 'query').attributes['genai_otel.output']).toContain('Answer about');
    const llm = one(spans, 'chat fake-llm-1');
    const input = JSON.parse(llm.attributes['gen_ai.input.messages']);
    expect(input[0].role).toBe('user');
    expect(input[0].parts[0].type).toBe('text');
    expect(input[0].parts[0].content).toContain('What is OpenTelemetry?');
    const output = JSON.parse(llm.attributes['gen_ai.output.messages']);
    expect(output).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: expect.stringContaining('Answer about') }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('streaming query: spans stay open until the stream is consumed', async () => {
    const stream = await index
      .asQueryEngine()
      .query({ query: 'Stream about LlamaIndex', stream: true });
    expect(byName(h.t.spans(), 'query')).toHaveLength(0);
    expect(byName(h.t.spans(), 'chat fake-llm-1')).toHaveLength(0);
    const text = await drain(stream);
    expect(text).toContain('Answer about');
    const spans = h.t.spans();
    const q = one(spans, 'query');
    const synth = one(spans, 'synthesize');
    const llm = one(spans, 'chat fake-llm-1');
    expect(parentId(synth)).toBe(spanId(q));
    expect(parentId(llm)).toBe(spanId(synth));
    expect(llm.attributes['gen_ai.request.stream']).toBe(true);
    expect(typeof llm.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(llm.attributes['gen_ai.usage.input_tokens']).toBe(25);
    // message_start says 1 output token, the final message_delta the real count (one per word).
    expect(llm.attributes['gen_ai.usage.output_tokens']).toBe(text.trim().split(' ').length);
    expect(llm.attributes['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    expect(q.attributes['genai_otel.stream.abandoned']).toBeUndefined();
    expect(q.attributes['genai_otel.stream.chunk_count']).toBeGreaterThan(1);
    const metrics = await h.t.metricsByName();
    expect(metrics.get('gen_ai.client.operation.time_to_first_chunk')).toBeDefined();
  });

  it('streaming query: spans end when the consumer breaks early', async () => {
    const stream = await index
      .asQueryEngine()
      .query({ query: 'Stream about LlamaIndex', stream: true });
    for await (const _chunk of stream) break;
    const spans = h.t.spans();
    expect(one(spans, 'query').attributes['genai_otel.stream.abandoned']).toBe(true);
    expect(one(spans, 'synthesize').attributes['genai_otel.stream.abandoned']).toBe(true);
    expect(one(spans, 'chat fake-llm-1').attributes['genai_otel.stream.abandoned']).toBe(true);
  });

  it('streaming query: return() on the iterator ends the spans', async () => {
    const stream = await index
      .asQueryEngine()
      .query({ query: 'Stream about LlamaIndex', stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    expect(one(h.t.spans(), 'query').attributes['genai_otel.stream.abandoned']).toBe(true);
  });

  it('LLM errors: the same error reaches the caller and every span records it', async () => {
    const boom = new TypeError('model exploded');
    fakes.llm.failNext = boom;
    const engine = index.asQueryEngine();
    await expect(engine.query({ query: 'fail please' })).rejects.toBe(boom);
    const spans = h.t.spans();
    for (const name of ['chat fake-llm-1', 'synthesize', 'query']) {
      const s = one(spans, name);
      expect(s.status.code).toBe(SpanStatusCode.ERROR);
      expect(s.attributes['error.type']).toBe('TypeError');
    }
  });

  it('an aborted LLM call is a cancellation on every span, not an error', async () => {
    const abort = new AbortController();
    abort.abort();
    const reason = abort.signal.reason; // the DOMException AbortError an aborted fetch throws
    fakes.llm.failNext = reason;
    const engine = index.asQueryEngine();
    await expect(engine.query({ query: 'never mind' })).rejects.toBe(reason);
    const spans = h.t.spans();
    for (const name of ['chat fake-llm-1', 'synthesize', 'query']) {
      const s = one(spans, name);
      expect(s.attributes['genai_otel.cancelled'], name).toBe(true);
      expect(s.status.code, name).not.toBe(SpanStatusCode.ERROR);
      expect(s.attributes['error.type'], name).toBeUndefined();
    }
  });

  it('LLM complete() delegating to chat() gives one chat span', async () => {
    const out = await fakes.llm.complete({ prompt: 'Say hi' });
    expect(out.text).toContain('Answer about');
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat fake-llm-1']);
  });

  it('context chat engine: CHAIN span per chat over retrieval and the LLM call', async () => {
    const engine = new li.ContextChatEngine({
      retriever: index.asRetriever({ similarityTopK: 1 }),
    });
    await engine.chat({ message: 'Tell me about cats' });
    await engine.chat({ message: 'And about OpenTelemetry' });
    const spans = h.t.spans();
    const chats = byName(spans, 'chat_engine');
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      expect(c.attributes['genai_otel.llamaindex.class']).toBe('ContextChatEngine');
      const kids = spans
        .filter((s: any) => parentId(s) === spanId(c))
        .map((s: any) => s.name)
        .sort();
      expect(kids).toEqual(['chat fake-llm-1', 'retrieval VectorIndexRetriever']);
    }
  });

  it('simple chat engine: streaming chat ends its span on consumption', async () => {
    const engine = new li.SimpleChatEngine({ llm: fakes.llm });
    const stream = await engine.chat({ message: 'Stream me', stream: true });
    expect(byName(h.t.spans(), 'chat_engine')).toHaveLength(0);
    expect(await drain(stream)).toContain('Answer about');
    const spans = h.t.spans();
    const c = one(spans, 'chat_engine');
    expect(c.attributes['genai_otel.llamaindex.class']).toBe('SimpleChatEngine');
    expect(parentId(one(spans, 'chat fake-llm-1'))).toBe(spanId(c));
  });

  it('agent: invoke_agent over LLM calls and execute_tool', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    const add = li.FunctionTool.from(({ a, b }: { a: number; b: number }) => `${a + b}`, {
      name: 'add',
      description: 'Adds two numbers',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      },
    });
    const agent = new li.LLMAgent({ llm: fakes.llm, tools: [add] });
    const response = await agent.chat({ message: 'What is 2 + 3?' });
    expect(String(response)).toContain('The tool said 5');
    const spans = h.t.spans();
    const a = one(spans, 'invoke_agent LLMAgent');
    expect(a.attributes['gen_ai.operation.name']).toBe('invoke_agent');
    expect(a.attributes['gen_ai.agent.name']).toBe('LLMAgent');
    const kids = spans.filter((s: any) => parentId(s) === spanId(a));
    expect(kids.map((s: any) => s.name).sort()).toEqual([
      'chat fake-llm-1',
      'chat fake-llm-1',
      'execute_tool add',
    ]);
    const tool = one(spans, 'execute_tool add');
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Adds two numbers',
      'gen_ai.tool.call.result': '5',
    });
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.arguments'])).toEqual({ a: 2, b: 3 });
    const firstLLM = byName(spans, 'chat fake-llm-1').find(
      (s: any) => s.attributes['gen_ai.response.finish_reasons']?.[0] === 'tool_use',
    );
    expect(firstLLM).toBeDefined();
    expect(JSON.parse(firstLLM.attributes['gen_ai.tool.definitions'])[0].name).toBe('add');
    const out = JSON.parse(firstLLM.attributes['gen_ai.output.messages']);
    expect(out[0].finish_reason).toBe('tool_call');
    expect(out[0].parts[0]).toMatchObject({ type: 'tool_call', id: 'call_1', name: 'add' });
  });
});
