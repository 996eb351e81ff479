import { createTestTelemetry, parentId } from '@genai-otel/test-utils';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex, type Fakes, loadLlamaIndex, makeFakes, VERSIONS } from './fixtures.js';
import { byName, createHarness, one, spanId } from './setup.js';

const h = createHarness();

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

function addTool(li: any, impl: (args: { a: number; b: number }) => string) {
  return li.FunctionTool.from(impl, {
    name: 'add',
    description: 'Adds two numbers',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  });
}

async function readAll(stream: any): Promise<string> {
  let out = '';
  if (typeof stream?.getReader === 'function') {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += value?.delta ?? value?.response ?? '';
    }
    return out;
  }
  for await (const chunk of stream) out += chunk?.delta ?? chunk?.response ?? '';
  return out;
}

describe.each(VERSIONS)('llamaindex $label extras', ({ specifier }) => {
  let li: any;
  let fakes: Fakes;
  let index: any;

  beforeAll(async () => {
    li = loadLlamaIndex(specifier);
    fakes = makeFakes(li);
    index = await buildIndex(li, fakes);
  });

  beforeEach(() => {
    h.instrumentor.setConfig({
      ...h.instrumentor.getConfig(),
      captureContent: false,
      semconv: undefined,
    });
    h.t.reset();
  });

  it('streaming agent: the ReadableStream it returns is still a ReadableStream and ends the span', async () => {
    const agent = new li.LLMAgent({
      llm: fakes.llm,
      tools: [addTool(li, ({ a, b }) => `${a + b}`)],
    });
    const stream = await agent.chat({ message: 'What is 2 + 3?', stream: true });
    expect(stream).toBeInstanceOf(ReadableStream);
    expect(byName(h.t.spans(), 'invoke_agent LLMAgent')).toHaveLength(0);
    expect(await readAll(stream)).toContain('The tool said 5');
    const spans = h.t.spans();
    const a = one(spans, 'invoke_agent LLMAgent');
    expect(parentId(one(spans, 'execute_tool add'))).toBe(spanId(a));
    expect(byName(spans, 'chat fake-llm-1').every((s: any) => parentId(s) === spanId(a))).toBe(
      true,
    );
  });

  it('streaming agent: cancel() ends the span as abandoned', async () => {
    const agent = new li.LLMAgent({ llm: fakes.llm, tools: [] });
    const stream = await agent.chat({ message: 'hello', stream: true });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(
      one(h.t.spans(), 'invoke_agent LLMAgent').attributes['genai_otel.stream.abandoned'],
    ).toBe(true);
  });

  it('ReActAgent runs are invoke_agent spans', async () => {
    class ReActLLM extends fakes.FakeLLM {
      async chat(params: any) {
        const answer = 'Thought: I can answer without any tools.\nAnswer: forty-two';
        if (params.stream) {
          return (async function* () {
            yield { delta: answer, raw: null };
          })();
        }
        return { message: { role: 'assistant', content: answer }, raw: null };
      }
    }
    const agent = new li.ReActAgent({
      llm: new ReActLLM(),
      tools: [addTool(li, ({ a, b }) => `${a + b}`)],
    });
    const response = await agent.chat({ message: 'What is the answer?' });
    expect(String(response)).toContain('forty-two');
    const spans = h.t.spans();
    const a = one(spans, 'invoke_agent ReActAgent');
    expect(parentId(one(spans, 'chat fake-llm-1'))).toBe(spanId(a));
  });

  it('a failing tool records the error on its execute_tool span', async () => {
    const boom = () => {
      throw new RangeError('no numbers today');
    };
    const agent = new li.LLMAgent({ llm: fakes.llm, tools: [addTool(li, boom)] });
    await agent.chat({ message: 'What is 2 + 3?' });
    const tool = one(h.t.spans(), 'execute_tool add');
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool.attributes['error.type']).toBe('RangeError');
  });

  it('condense-question chat engine: one chat_engine span over its LLM and query work', async () => {
    const engine = new li.CondenseQuestionChatEngine({
      queryEngine: index.asQueryEngine(),
      chatHistory: [],
      llm: fakes.llm,
    } as any);
    await engine.chat({ message: 'Tell me about OpenTelemetry' });
    const spans = h.t.spans();
    const c = one(spans, 'chat_engine');
    expect(c.attributes['genai_otel.llamaindex.class']).toBe('CondenseQuestionChatEngine');
    expect(parentId(one(spans, 'query'))).toBe(spanId(c));
  });

  it('an LLM class implementing complete() itself gets text_completion spans', async () => {
    class CompletionLLM extends fakes.FakeLLM {
      async complete(params: any) {
        return {
          text: `done: ${params.prompt}`,
          raw: {
            usage: { prompt_tokens: 4, completion_tokens: 2 },
            choices: [{ finish_reason: 'length' }],
          },
        };
      }
    }
    h.instrumentor.manuallyInstrument(CompletionLLM);
    await new CompletionLLM().complete({ prompt: 'go' });
    const s = one(h.t.spans(), 'text_completion fake-llm-1');
    expect(s.attributes['gen_ai.operation.name']).toBe('text_completion');
    expect(s.attributes['gen_ai.response.finish_reasons']).toEqual(['length']);
    expect(s.attributes['gen_ai.usage.input_tokens']).toBe(4);
  });

  it('an LLM assigned to Settings.llm is traced even when called directly', async () => {
    // Its own `chat` is on a prototype nobody has seen yet: only the Settings hook finds it.
    class DirectLLM extends fakes.FakeLLM {
      async chat(params: any) {
        return super.chat(params);
      }
    }
    const previous = li.Settings.llm;
    li.Settings.llm = new DirectLLM();
    try {
      await li.Settings.llm.chat({ messages: [{ role: 'user', content: 'hi' }] });
      expect(one(h.t.spans(), 'chat fake-llm-1').attributes['genai_otel.llamaindex.class']).toBe(
        'DirectLLM',
      );
    } finally {
      li.Settings.llm = previous;
    }
  });

  it('rerankers among node postprocessors: a RERANKER span inside the query', async () => {
    process.env.JINAAI_API_KEY ??= 'jina-test-key';
    // The real JinaAIReranker.postprocessNodes, with its HTTP call replaced (offline).
    const Jina: any = li.JinaAIReranker;
    class OfflineJina extends Jina {
      async rerank(_query: string, documents: string[]) {
        return documents
          .map((_d, index) => ({ index, relevance_score: 1 - index / 10 }))
          .slice(0, 1);
      }
    }
    const engine = index.asQueryEngine({
      nodePostprocessors: [new (OfflineJina as any)({ topN: 1 })],
    } as any);
    await engine.query({ query: 'What is OpenTelemetry?' });
    const spans = h.t.spans();
    const rerank = one(spans, 'rerank jina-reranker-v1-base-en');
    expect(parentId(rerank)).toBe(spanId(one(spans, 'query')));
    expect(rerank.attributes).toMatchObject({
      'genai_otel.span.kind': 'RERANKER',
      'gen_ai.request.model': 'jina-reranker-v1-base-en',
      'genai_otel.reranker.top_k': 1,
      'genai_otel.reranker.input_document_count': 2,
      'genai_otel.reranker.output_document_count': 1,
    });
    expect(one(spans, 'synthesize').attributes['genai_otel.llamaindex.node_count']).toBe(1);
  });

  it('samplers see the model, provider and request parameters at span start', async () => {
    const seen: Array<{ name: string; attributes: Record<string, unknown> }> = [];
    const sampler = {
      shouldSample: (
        _ctx: unknown,
        _trace: string,
        name: string,
        _kind: unknown,
        attributes: any,
      ) => {
        seen.push({ name, attributes: { ...attributes } });
        return { decision: 2 };
      },
      toString: () => 'recording sampler',
    };
    const sampled = createTestTelemetry({ sampler });
    h.instrumentor.setTracerProvider(sampled.tracerProvider);
    try {
      await fakes.llm.chat({ messages: [{ role: 'user', content: 'hi' }] });
    } finally {
      h.instrumentor.setTracerProvider(h.t.tracerProvider);
      await sampled.shutdown();
    }
    const start = seen.find((s) => s.name === 'chat fake-llm-1');
    expect(start?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'fakellm',
      'gen_ai.request.model': 'fake-llm-1',
      'gen_ai.request.temperature': 0.2,
    });
  });

  it('OpenInference vocabulary when asked for', async () => {
    h.instrumentor.setConfig({
      ...h.instrumentor.getConfig(),
      semconv: ['gen_ai', 'openinference'],
      captureContent: true,
    });
    await index.asQueryEngine().query({ query: 'What is OpenTelemetry?' });
    const spans = h.t.spans();
    expect(one(spans, 'query').attributes['openinference.span.kind']).toBe('CHAIN');
    expect(one(spans, 'retrieval VectorIndexRetriever').attributes['openinference.span.kind']).toBe(
      'RETRIEVER',
    );
    const llm = one(spans, 'chat fake-llm-1');
    expect(llm.attributes['openinference.span.kind']).toBe('LLM');
    expect(llm.attributes['llm.model_name']).toBe('fake-llm-1-resp');
    expect(llm.attributes['llm.token_count.prompt']).toBe(25);
  });

  it('EVENT_ONLY content goes to the details event, not to attributes', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: 'EVENT_ONLY' });
    await index.asQueryEngine().query({ query: 'What is OpenTelemetry?' });
    const llm = one(h.t.spans(), 'chat fake-llm-1');
    expect(llm.attributes['gen_ai.input.messages']).toBeUndefined();
    const event = llm.events.find(
      (e: any) => e.name === 'gen_ai.client.inference.operation.details',
    );
    expect(event.attributes['gen_ai.input.messages']).toContain('What is OpenTelemetry?');
  });
});

describe('llamaindex 0.12 only', () => {
  it('llm.exec() with tools: chat span and execute_tool span side by side', async () => {
    const li = loadLlamaIndex('llamaindex');
    const { llm } = makeFakes(li);
    h.t.reset();
    const tracer = h.t.tracerProvider.getTracer('caller');
    await tracer.startActiveSpan('caller', async (span: any) => {
      await llm.exec({
        messages: [{ role: 'user', content: 'add' }],
        tools: [addTool(li, ({ a, b }) => `${a + b}`)],
      });
      span.end();
    });
    const spans = h.t.spans();
    const caller = one(spans, 'caller');
    expect(parentId(one(spans, 'chat fake-llm-1'))).toBe(spanId(caller));
    expect(parentId(one(spans, 'execute_tool add'))).toBe(spanId(caller));
  });
});
