import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTestLogs, setGlobalLoggerProvider } from '@genai-otel/test-utils';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtures, USAGE } from './fixtures.js';
import { byName, isChildOf, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { UsageChatModel } = fixtures(require);
const { FakeListChatModel, FakeLLM, FakeRetriever } = require('@langchain/core/utils/testing');
const { ChatPromptTemplate } = require('@langchain/core/prompts');
const { StringOutputParser } = require('@langchain/core/output_parsers');
const {
  RunnableLambda,
  RunnablePassthrough,
  RunnableSequence,
} = require('@langchain/core/runnables');
const { Document } = require('@langchain/core/documents');
const { tool } = require('@langchain/core/tools');
const { z } = require('zod');

beforeEach(() => {
  telemetry.reset();
  instrumentation.setConfig({});
});
afterAll(() => telemetry.shutdown());

const prompt = () =>
  ChatPromptTemplate.fromMessages([
    ['system', 'be brief'],
    ['human', '{q}'],
  ]);

describe('chains and chat models', () => {
  it('prompt -> model -> parser: one CHAIN root with three children, LLM span attributes', async () => {
    const chain = prompt().pipe(new UsageChatModel()).pipe(new StringOutputParser());
    expect(await chain.invoke({ q: 'hi' })).toBe('the answer is 42');
    const spans = telemetry.spans();
    expect(spans.map((s: any) => s.name).sort()).toEqual(
      ['ChatPromptTemplate', 'RunnableSequence', 'StrOutputParser', 'chat fake-model-1'].sort(),
    );
    const root = byName(spans, 'RunnableSequence');
    expect(root.kind).toBe(SpanKind.INTERNAL);
    expect(root.attributes['genai_otel.span.kind']).toBe('CHAIN');
    expect(root.parentSpanContext?.spanId ?? root.parentSpanId).toBeUndefined();
    for (const n of ['ChatPromptTemplate', 'chat fake-model-1', 'StrOutputParser'])
      expect(isChildOf(byName(spans, n), root)).toBe(true);

    const llm = byName(spans, 'chat fake-model-1');
    expect(llm.kind).toBe(SpanKind.CLIENT);
    expect(llm.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'fake-model-1',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.response.id': 'msg_123',
      'gen_ai.response.model': 'fake-model-1-2026',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': USAGE.input_tokens,
      'gen_ai.usage.output_tokens': USAGE.output_tokens,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.cache_creation.input_tokens': 2,
      'gen_ai.usage.reasoning.output_tokens': 1,
    });
    // Content is off by default.
    expect(llm.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(llm.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(root.attributes['genai_otel.input']).toBeUndefined();
    // Child spans start inside the parent and are ended before it. The end check uses the
    // order spans reached the exporter, not timestamps: the SDK stamps a start with
    // Date.now() (whole milliseconds) and an end as start + performance.now() delta, so two
    // spans ending within a millisecond of each other can appear out of order by ~1 ms.
    const t = (hr: [number, number]) => hr[0] * 1e9 + hr[1];
    expect(t(llm.startTime)).toBeGreaterThanOrEqual(t(root.startTime));
    expect(spans.indexOf(llm)).toBeLessThan(spans.indexOf(root));
  });

  it('stop sequences and the run name become attributes / span names', async () => {
    const model = new UsageChatModel();
    await model.invoke('hi', { stop: ['END'] });
    const llm = byName(telemetry.spans(), 'chat fake-model-1');
    expect(llm.attributes['gen_ai.request.stop_sequences']).toEqual(['END']);
    telemetry.reset();
    await RunnableLambda.from((x: string) => x.toUpperCase()).invoke('a', { runName: 'shout' });
    expect(byName(telemetry.spans(), 'shout').attributes['genai_otel.span.kind']).toBe('CHAIN');
  });

  it('a model without a model name is named after its class; provider from ls_provider', async () => {
    await new FakeListChatModel({ responses: ['x'] }).invoke('hi');
    const span = byName(telemetry.spans(), 'chat FakeListChatModel');
    expect(span.attributes['gen_ai.request.model']).toBeUndefined();
    expect(span.attributes['gen_ai.provider.name']).toBe('FakeListChatModel');
  });

  it('LLMs (text completion) get text_completion spans', async () => {
    const llm = new FakeLLM({});
    expect(await llm.invoke('echo me')).toBe('echo me');
    const span = telemetry.spans().find((s: any) => s.name.startsWith('text_completion'));
    expect(span).toBeDefined();
    expect(span.attributes['gen_ai.operation.name']).toBe('text_completion');
    expect(span.kind).toBe(SpanKind.CLIENT);
  });

  it('records token usage and duration metrics for every LLM call', async () => {
    const before = await sumTokens();
    await new UsageChatModel().invoke('hi');
    await new UsageChatModel().invoke('again');
    const after = await sumTokens();
    expect(after.input - before.input).toBe(2 * USAGE.input_tokens);
    expect(after.output - before.output).toBe(2 * USAGE.output_tokens);
    const metrics = await telemetry.metricsByName();
    const duration = metrics.get('gen_ai.client.operation.duration');
    const point = duration.dataPoints.find(
      (p: any) => p.attributes['gen_ai.request.model'] === 'fake-model-1',
    );
    expect(point.value.count).toBeGreaterThanOrEqual(2);
    expect(point.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(point.attributes['gen_ai.operation.name']).toBe('chat');
  });

  it.each([
    ['a provider reason, mapped', { finish_reason: 'max_tokens' }, undefined, 'length'],
    [
      'tool calls',
      { stop_reason: 'tool_use' },
      [{ id: 'call_1', name: 'add', args: { a: 1 } }],
      'tool_call',
    ],
    ['no reason, tool calls', {}, [{ id: 'call_1', name: 'add', args: { a: 1 } }], 'tool_call'],
    ['no reason at all', {}, undefined, 'stop'],
    [
      "LangChain 1.5's normalised reason",
      { finish_reason: 'end_turn', normalized_finish_reason: 'refusal' },
      undefined,
      'content_filter',
    ],
    [
      'a normalised `other`: the provider reason',
      { finish_reason: 'STOP', normalized_finish_reason: 'other' },
      undefined,
      'stop',
    ],
    ['an unknown reason, as given', { finish_reason: 'brand_new' }, undefined, 'brand_new'],
  ])(
    'output message finish_reason in the schema vocabulary: %s',
    async (_name, metadata, toolCalls, expected) => {
      instrumentation.setConfig({ captureContent: true });
      await new UsageChatModel({ responseMetadata: metadata, toolCalls }).invoke('hi');
      const llm = byName(telemetry.spans(), 'chat fake-model-1');
      const [output] = JSON.parse(llm.attributes['gen_ai.output.messages']);
      expect(output.finish_reason).toBe(expected);
    },
  );

  it('multimodal and server tool blocks become the schema parts (every shape LangChain carries)', async () => {
    instrumentation.setConfig({ captureContent: true });
    const { HumanMessage, AIMessage } = require('@langchain/core/messages');
    await new UsageChatModel().invoke([
      new HumanMessage({
        content: [
          { type: 'text', text: 'what is in these?' },
          { type: 'image', url: 'https://x.test/cat.png' },
          { type: 'image', data: 'iVBORw0KGgo', mimeType: 'image/png' },
          { type: 'file', fileId: 'file_123', mimeType: 'application/pdf' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          { type: 'image', source_type: 'url', url: 'https://x.test/dog.png' },
          { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lGOD' } },
          { type: 'input_audio', input_audio: { data: 'UklGR', format: 'wav' } },
        ],
      }),
      new AIMessage({
        content: [
          { type: 'server_tool_call', id: 'srv_1', name: 'web_search', args: { query: 'otel' } },
          {
            type: 'server_tool_call_result',
            toolCallId: 'srv_1',
            status: 'success',
            output: { hits: 1 },
          },
        ],
      }),
    ]);
    const llm = byName(telemetry.spans(), 'chat fake-model-1');
    const [user, assistant] = JSON.parse(llm.attributes['gen_ai.input.messages']);
    expect(user.parts).toEqual([
      { type: 'text', content: 'what is in these?' },
      { type: 'uri', modality: 'image', uri: 'https://x.test/cat.png' },
      { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo' },
      { type: 'file', modality: 'document', mime_type: 'application/pdf', file_id: 'file_123' },
      { type: 'blob', modality: 'image', mime_type: 'image/jpeg', content: '/9j/4AAQ' },
      { type: 'uri', modality: 'image', uri: 'https://x.test/dog.png' },
      { type: 'blob', modality: 'image', mime_type: 'image/gif', content: 'R0lGOD' },
      { type: 'blob', modality: 'audio', mime_type: 'audio/wav', content: 'UklGR' },
    ]);
    expect(assistant.parts).toEqual([
      {
        type: 'server_tool_call',
        id: 'srv_1',
        name: 'web_search',
        server_tool_call: { type: 'web_search', arguments: { query: 'otel' } },
      },
      {
        type: 'server_tool_call_response',
        id: 'srv_1',
        server_tool_call_response: { status: 'success', output: { hits: 1 } },
      },
    ]);
  });

  it('captures messages, chain input/output only when content capture is on', async () => {
    instrumentation.setConfig({ captureContent: true });
    const chain = prompt().pipe(new UsageChatModel()).pipe(new StringOutputParser());
    await chain.invoke({ q: 'what is 6*7?' });
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    const input = JSON.parse(llm.attributes['gen_ai.input.messages']);
    expect(input).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
      { role: 'user', parts: [{ type: 'text', content: 'what is 6*7?' }] },
    ]);
    const output = JSON.parse(llm.attributes['gen_ai.output.messages']);
    expect(output[0]).toMatchObject({
      role: 'assistant',
      // The provider's `end_turn` in the output message schema's vocabulary.
      finish_reason: 'stop',
      parts: [{ type: 'text', content: 'the answer is 42' }],
    });
    expect(llm.attributes['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    const root = byName(spans, 'RunnableSequence');
    expect(root.attributes['genai_otel.input']).toContain('what is 6*7?');
    expect(root.attributes['genai_otel.output']).toContain('the answer is 42');
  });
});

describe('vocabularies', () => {
  it("semconv: ['gen_ai', 'openinference'] adds OpenInference attributes", async () => {
    instrumentation.setConfig({ semconv: ['gen_ai', 'openinference'] });
    await prompt().pipe(new UsageChatModel()).invoke({ q: 'hi' });
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    expect(llm.attributes['openinference.span.kind']).toBe('LLM');
    expect(llm.attributes['llm.token_count.prompt']).toBe(USAGE.input_tokens);
    expect(byName(spans, 'RunnableSequence').attributes['openinference.span.kind']).toBe('CHAIN');
  });
});

describe('tool definitions', () => {
  it('tools bound to a model call are recorded (opt-in) in OpenAI and Anthropic shapes', async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } },
      },
      { name: 'search', description: 'Web search', input_schema: { type: 'object' } },
    ];
    await new UsageChatModel().invoke('hi', { tools });
    expect(
      byName(telemetry.spans(), 'chat fake-model-1').attributes['gen_ai.tool.definitions'],
    ).toBeUndefined();
    telemetry.reset();
    instrumentation.setConfig({ captureContent: true });
    await new UsageChatModel().invoke('hi', { tools });
    const defs = JSON.parse(
      byName(telemetry.spans(), 'chat fake-model-1').attributes['gen_ai.tool.definitions'],
    );
    expect(defs).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather',
        parameters: { type: 'object' },
      },
      {
        type: 'function',
        name: 'search',
        description: 'Web search',
        parameters: { type: 'object' },
      },
    ]);
  });
});

describe('streaming', () => {
  it('the span covers the whole stream, records time to first chunk and summed usage', async () => {
    const model = new UsageChatModel({ reply: 'one two three four' });
    const chunks: string[] = [];
    for await (const c of await model.stream('hi')) chunks.push(c.content);
    expect(chunks.join('')).toBe('one two three four');
    const span = byName(telemetry.spans(), 'chat fake-model-1');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(7);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(4);
    expect(span.attributes['genai_otel.cancelled']).toBeUndefined();
    const metrics = await telemetry.metricsByName();
    expect(metrics.get('gen_ai.client.operation.time_to_first_chunk')).toBeDefined();
  });

  it('a consumer that stops early ends the model and chain spans (cancelled), no leak', async () => {
    const chain = prompt().pipe(new UsageChatModel({ reply: 'a b c d e f' }));
    const stream = await chain.stream({ q: 'hi' });
    for await (const _ of stream) break;
    await waitFor(() => telemetry.spans().length === 3);
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    const root = byName(spans, 'RunnableSequence');
    expect(llm.attributes['genai_otel.cancelled']).toBe(true);
    expect(root.attributes['genai_otel.cancelled']).toBe(true);
    expect(isChildOf(llm, root)).toBe(true);
    expect(instrumentation.openRuns).toBe(0);
  });

  it('streams dropped unread (or part read) end their runs when collected, at their last activity', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // In a function of its own, so that nothing on this frame keeps the streams reachable.
    const drop = async () => {
      await new UsageChatModel({ reply: 'a b c d' }).stream('never read');
      const chain = prompt().pipe(new UsageChatModel({ reply: 'a b c d' }));
      const partly = await chain.stream({ q: 'read one chunk' });
      await partly[Symbol.asyncIterator]().next();
    };
    await drop();
    const droppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 50)); // collected later, as in an application
    for (let i = 0; i < 20 && instrumentation.openRuns > 0; i++) {
      await new Promise((r) => setTimeout(r, 0));
      gc();
    }
    expect(instrumentation.openRuns).toBe(0);
    const spans = telemetry.spans();
    const chats = spans.filter((s: any) => s.name === 'chat fake-model-1');
    expect(chats).toHaveLength(2);
    const root = byName(spans, 'RunnableSequence');
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    for (const span of [...chats, root]) {
      expect(span.attributes['genai_otel.cancelled'], span.name).toBe(true);
      expect(span.status.code, span.name).not.toBe(SpanStatusCode.ERROR);
      // Ended at the stream's last activity (or, on the SDK's own clock, its start), not at
      // the collection 50+ ms later.
      expect(ms(span.endTime)).toBeLessThanOrEqual(Math.max(droppedAt, ms(span.startTime)) + 1);
    }
    expect(chats.some((c: any) => isChildOf(c, root))).toBe(true);
  });

  it('a stream that errors marks the model span and the chain span as errors', async () => {
    const chain = prompt().pipe(new UsageChatModel({ reply: 'a b c', failAfterChunks: 1 }));
    await expect(async () => {
      for await (const _ of await chain.stream({ q: 'hi' })) {
        // consume
      }
    }).rejects.toThrow('stream broke');
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    expect(llm.status.code).toBe(SpanStatusCode.ERROR);
    expect(llm.attributes['error.type']).toBe('Error');
    expect(llm.events.some((e: any) => e.name === 'exception')).toBe(true);
    expect(byName(spans, 'RunnableSequence').status.code).toBe(SpanStatusCode.ERROR);
    expect(instrumentation.openRuns).toBe(0);
  });

  it('streamEvents works and produces the same spans', async () => {
    const chain = prompt().pipe(new UsageChatModel({ reply: 'x y' }));
    const kinds: string[] = [];
    for await (const ev of chain.streamEvents({ q: 'hi' }, { version: 'v2' })) kinds.push(ev.event);
    expect(kinds).toContain('on_chat_model_stream');
    const llm = byName(telemetry.spans(), 'chat fake-model-1');
    expect(llm.attributes['gen_ai.usage.output_tokens']).toBe(2);
    expect(isChildOf(llm, byName(telemetry.spans(), 'RunnableSequence'))).toBe(true);
  });
});

describe('errors', () => {
  it('the failing model span and its ancestors (as LangChain propagates) are errors; siblings are not', async () => {
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    const chain = prompt().pipe(new UsageChatModel({ fail: new RateLimitError('slow down') }));
    await expect(chain.invoke({ q: 'x' })).rejects.toThrow('slow down');
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    expect(llm.status.code).toBe(SpanStatusCode.ERROR);
    expect(llm.attributes['error.type']).toBe('RateLimitError');
    expect(byName(spans, 'RunnableSequence').status.code).toBe(SpanStatusCode.ERROR);
    expect(byName(spans, 'ChatPromptTemplate').status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('an error caught inside the chain stays on the failing span only', async () => {
    const failing = RunnableLambda.from(() => {
      throw new TypeError('bad');
    }).withConfig({ runName: 'failing' });
    const safe = failing.withFallbacks([RunnableLambda.from(() => 'fallback')]);
    expect(await safe.invoke('x')).toBe('fallback');
    const spans = telemetry.spans();
    expect(byName(spans, 'failing').status.code).toBe(SpanStatusCode.ERROR);
    expect(byName(spans, 'failing').attributes['error.type']).toBe('TypeError');
    expect(byName(spans, 'RunnableWithFallbacks').status.code).not.toBe(SpanStatusCode.ERROR);
  });
});

describe('retrievers, tools, RAG', () => {
  const docs = () => [
    new Document({
      pageContent: 'Paris is the capital of France',
      metadata: { id: 'd1', score: 0.9 },
    }),
    new Document({ pageContent: 'Berlin is in Germany', id: 'd2', metadata: { score: 0.4 } }),
  ];

  it('retriever span: retrieval {name}, documents count, ids and scores, no content by default', async () => {
    const retriever = new FakeRetriever({ output: docs() });
    await retriever.invoke('capital of France');
    const span = byName(telemetry.spans(), 'retrieval FakeRetriever');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes['gen_ai.operation.name']).toBe('retrieval');
    expect(span.attributes['genai_otel.retrieval.document_count']).toBe(2);
    expect(JSON.parse(span.attributes['gen_ai.retrieval.documents'])).toEqual([
      { id: 'd1', score: 0.9 },
      { id: 'd2', score: 0.4 },
    ]);
    expect(span.attributes['gen_ai.retrieval.query.text']).toBeUndefined();
  });

  it('retriever content (query and documents) with capture on', async () => {
    instrumentation.setConfig({ captureContent: true });
    await new FakeRetriever({ output: docs() }).invoke('capital of France');
    const span = byName(telemetry.spans(), 'retrieval FakeRetriever');
    expect(span.attributes['gen_ai.retrieval.query.text']).toContain('capital of France');
    expect(span.attributes['gen_ai.retrieval.documents']).toContain('Paris is the capital');
  });

  it('EVENT_ONLY with a LoggerProvider: content as log records in each run span, none on spans', async () => {
    instrumentation.setConfig({ captureContent: 'EVENT_ONLY' });
    const logs = createTestLogs();
    const undo = setGlobalLoggerProvider(logs.loggerProvider);
    try {
      const retriever = new FakeRetriever({ output: docs() });
      const chain = RunnableSequence.from([
        async (q: string) => ({ q, context: await retriever.invoke(q) }),
        prompt(),
        new UsageChatModel(),
        new StringOutputParser(),
      ]);
      await chain.invoke('capital of France');
    } finally {
      undo();
    }
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat fake-model-1');
    const retrieval = byName(spans, 'retrieval FakeRetriever');
    for (const span of spans) {
      expect(span.events.map((e: any) => e.name)).not.toContain(
        'gen_ai.client.inference.operation.details',
      );
      expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
      // (Document ids and scores are not content: they stay on the retrieval span.)
      expect(String(span.attributes['gen_ai.retrieval.documents'] ?? '')).not.toContain('Paris');
    }
    const records = logs.records();
    const recordOf = (span: any) =>
      records.find((r: any) => r.spanContext?.spanId === span.spanContext().spanId);
    const llmRecord = recordOf(llm);
    expect(llmRecord.eventName).toBe('gen_ai.client.inference.operation.details');
    expect(llmRecord.spanContext.traceId).toBe(llm.spanContext().traceId);
    expect(llmRecord.attributes['gen_ai.input.messages'].at(-1)).toEqual({
      role: 'user',
      parts: [{ type: 'text', content: 'capital of France' }],
    });
    expect(llmRecord.attributes['gen_ai.output.messages'][0].parts[0].content).toBe(
      'the answer is 42',
    );
    const retrievalRecord = recordOf(retrieval);
    expect(retrievalRecord.attributes['gen_ai.retrieval.query.text']).toBe('capital of France');
    expect(retrievalRecord.attributes['gen_ai.retrieval.documents'][0]).toMatchObject({
      id: 'd1',
      score: 0.9,
      content: 'Paris is the capital of France',
    });
    await logs.shutdown();
  });

  it('tool span: execute_tool {name}, call id, type; arguments/result only with capture', async () => {
    const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: 'get_weather',
      description: 'Weather for a city',
      schema: z.object({ city: z.string() }),
    });
    const out = await weather.invoke({
      name: 'get_weather',
      args: { city: 'Paris' },
      id: 'call_9',
      type: 'tool_call',
    });
    expect(out.content).toBe('sunny in Paris');
    let span = byName(telemetry.spans(), 'execute_tool get_weather');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': 'call_9',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Weather for a city',
    });
    expect(span.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(span.attributes['gen_ai.tool.call.result']).toBeUndefined();

    telemetry.reset();
    instrumentation.setConfig({ captureContent: true });
    await weather.invoke({ city: 'Rome' });
    span = byName(telemetry.spans(), 'execute_tool get_weather');
    expect(span.attributes['gen_ai.tool.call.arguments']).toContain('Rome');
    expect(span.attributes['gen_ai.tool.call.result']).toContain('sunny in Rome');
  });

  it('a failing tool marks its span as an error', async () => {
    const broken = tool(
      async () => {
        throw new RangeError('no such city');
      },
      { name: 'broken', description: 'fails', schema: z.object({}) },
    );
    await expect(broken.invoke({})).rejects.toThrow('no such city');
    const span = byName(telemetry.spans(), 'execute_tool broken');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('RangeError');
  });

  it('a RAG chain nests retriever, prompt, model and parser under one root', async () => {
    const retriever = new FakeRetriever({ output: docs() });
    const format = RunnableLambda.from((d: any[]) =>
      d.map((x) => x.pageContent).join('\n'),
    ).withConfig({ runName: 'formatDocs' });
    const rag = RunnableSequence.from([
      { context: retriever.pipe(format), q: new RunnablePassthrough() },
      ChatPromptTemplate.fromMessages([['human', 'Context: {context}\nQ: {q}']]),
      new UsageChatModel(),
      new StringOutputParser(),
    ]).withConfig({ runName: 'rag' });
    expect(await rag.invoke('capital of France?')).toBe('the answer is 42');
    const spans = telemetry.spans();
    const root = byName(spans, 'rag');
    const ids = new Set(spans.map((s: any) => s.spanContext().traceId));
    expect(ids.size).toBe(1);
    const retrieval = byName(spans, 'retrieval FakeRetriever');
    const llm = byName(spans, 'chat fake-model-1');
    expect(isChildOf(llm, root)).toBe(true);
    // retriever -> RunnableSequence(retriever|format) -> RunnableMap -> rag
    let p = retrieval;
    const chainNames: string[] = [];
    while (p && p !== root) {
      const pid = p.parentSpanContext?.spanId ?? p.parentSpanId;
      p = spans.find((s: any) => s.spanContext().spanId === pid);
      if (p) chainNames.push(p.name);
    }
    expect(chainNames.at(-1)).toBe('rag');
    expect(instrumentation.openRuns).toBe(0);
  });
});

async function sumTokens(): Promise<{ input: number; output: number }> {
  const metrics = await telemetry.metricsByName();
  const m = metrics.get('gen_ai.client.token.usage');
  const out = { input: 0, output: 0 };
  for (const p of m?.dataPoints ?? []) {
    if (p.attributes['gen_ai.token.type'] === 'input') out.input += p.value.sum;
    if (p.attributes['gen_ai.token.type'] === 'output') out.output += p.value.sum;
  }
  return out;
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
}
