import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';
import { allByName, byName, isChildOf, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { UsageChatModel } = fixtures(require);
const { ChatPromptTemplate } = require('@langchain/core/prompts');
const { StringOutputParser } = require('@langchain/core/output_parsers');
const { RunnableLambda } = require('@langchain/core/runnables');
const { BaseRetriever } = require('@langchain/core/retrievers');
const { BaseCallbackHandler } = require('@langchain/core/callbacks/base');
const { Document } = require('@langchain/core/documents');
const { tool } = require('@langchain/core/tools');
const { z } = require('zod');

const tracer = telemetry.tracerProvider.getTracer('app');
/** What another instrumentation (an HTTP client) does inside a run. */
const httpCall = (name = 'GET /v1/messages') =>
  tracer.startActiveSpan(name, (s: any) => {
    s.end();
  });

beforeEach(() => telemetry.reset());
afterAll(() => telemetry.shutdown());

class DocsRetriever extends BaseRetriever {
  lc_namespace = ['test'];
  async _getRelevantDocuments(query: string) {
    httpCall('POST /search');
    return [new Document({ pageContent: `about ${query}`, metadata: { id: 'doc-1' } })];
  }
}

describe('nesting', () => {
  it('attaches the run tree under the span active when the user invoked', async () => {
    const chain = ChatPromptTemplate.fromMessages([['human', '{q}']])
      .pipe(new UsageChatModel())
      .pipe(new StringOutputParser());
    await tracer.startActiveSpan('http.request', async (req: any) => {
      await chain.invoke({ q: 'hi' });
      req.end();
    });
    const spans = telemetry.spans();
    const req = byName(spans, 'http.request');
    const root = byName(spans, 'RunnableSequence');
    expect(isChildOf(root, req)).toBe(true);
    expect(new Set(spans.map((s: any) => s.spanContext().traceId)).size).toBe(1);
  });

  it('work inside a custom model, tool, retriever and lambda nests under that run', async () => {
    const model = new UsageChatModel({ inner: () => httpCall('model-http') });
    const weather = tool(
      async ({ city }: { city: string }) => {
        httpCall('tool-http');
        return `sunny in ${city}`;
      },
      { name: 'get_weather', description: 'weather', schema: z.object({ city: z.string() }) },
    );
    const lambda = RunnableLambda.from(async (x: string) => {
      httpCall('lambda-http');
      return x;
    }).withConfig({ runName: 'my_lambda' });

    await model.invoke('hi');
    await weather.invoke({ city: 'Oslo' });
    await new DocsRetriever().invoke('fjords');
    await lambda.invoke('x');
    const spans = telemetry.spans();
    expect(isChildOf(byName(spans, 'model-http'), byName(spans, 'chat fake-model-1'))).toBe(true);
    expect(isChildOf(byName(spans, 'tool-http'), byName(spans, 'execute_tool get_weather'))).toBe(
      true,
    );
    expect(isChildOf(byName(spans, 'POST /search'), byName(spans, 'retrieval DocsRetriever'))).toBe(
      true,
    );
    expect(isChildOf(byName(spans, 'lambda-http'), byName(spans, 'my_lambda'))).toBe(true);
  });

  it('work inside a LangGraph node function nests under the node span', async () => {
    const langgraphPath = require.resolve('@langchain/langgraph', {
      paths: [require.resolve('langchain')],
    });
    const { StateGraph, Annotation, START, END } = require(langgraphPath);
    const State = Annotation.Root({ x: Annotation() });
    const graph = new StateGraph(State)
      .addNode('work', async (state: any) => {
        httpCall('node-http');
        return { x: state.x + 1 };
      })
      .addEdge(START, 'work')
      .addEdge('work', END)
      .compile();
    expect((await graph.invoke({ x: 1 })).x).toBe(2);
    const spans = telemetry.spans();
    const root = byName(spans, 'LangGraph');
    expect(root.attributes['gen_ai.workflow.name']).toBe('LangGraph');
    expect(root.attributes['gen_ai.operation.name']).toBe('invoke_workflow');
    const work = byName(spans, 'work');
    expect(isChildOf(work, root)).toBe(true);
    expect(isChildOf(byName(spans, 'node-http'), work)).toBe(true);
  });

  it('work inside a streaming model nests under the model span', async () => {
    const model = new UsageChatModel({ reply: 'a b', inner: () => httpCall('stream-http') });
    for await (const _ of await model.stream('hi')) {
      // consume
    }
    const spans = telemetry.spans();
    expect(isChildOf(byName(spans, 'stream-http'), byName(spans, 'chat fake-model-1'))).toBe(true);
  });

  it('a provider instrumentation inside the model run claims the usage (no double count)', async () => {
    const model = new UsageChatModel({
      inner: () => {
        const provider = instrumentation.telemetry.startSpan({
          kind: 'LLM',
          name: 'claude-x',
          provider: 'anthropic',
        });
        provider.setUsage({ inputTokens: 10, outputTokens: 5 });
        provider.end();
      },
    });
    await model.invoke('hi');
    const spans = telemetry.spans();
    const inner = byName(spans, 'chat claude-x');
    const outer = byName(spans, 'chat fake-model-1');
    expect(isChildOf(inner, outer)).toBe(true);
    expect(inner.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(outer.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(outer.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
  });

  it('does not leak the run context to code after the call', async () => {
    const before = trace.getSpan(context.active());
    await new UsageChatModel().invoke('hi');
    expect(trace.getSpan(context.active())).toBe(before);
  });
});

describe.each([
  ['background callbacks (default)', undefined],
  ['LANGCHAIN_CALLBACKS_BACKGROUND=false', 'false'],
])('200 concurrent invocations, %s', (_label, env) => {
  it('produce 200 separate complete trees under their own caller spans', async () => {
    const previous = process.env.LANGCHAIN_CALLBACKS_BACKGROUND;
    if (env === undefined) delete process.env.LANGCHAIN_CALLBACKS_BACKGROUND;
    else process.env.LANGCHAIN_CALLBACKS_BACKGROUND = env;
    try {
      const seen = new Map<string, number>();
      class UserHandler extends BaseCallbackHandler {
        name = 'user_handler';
        async handleChainStart(_c: unknown, _i: unknown, runId: string) {
          await new Promise((r) => setImmediate(r));
          seen.set(runId, (seen.get(runId) ?? 0) + 1);
        }
      }
      const userHandler = new UserHandler();
      const N = 200;
      const model = new UsageChatModel({
        inner: async () => {
          // Interleave the requests.
          await new Promise((r) => setImmediate(r));
          httpCall('model-http');
        },
      });
      const chain = ChatPromptTemplate.fromMessages([['human', '{q}']])
        .pipe(model)
        .pipe(new StringOutputParser());
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          tracer.startActiveSpan(`request-${i}`, async (req: any) => {
            for (let k = 0; k < i % 3; k++) await new Promise((r) => setImmediate(r));
            await chain.invoke({ q: `q${i}` }, { callbacks: [userHandler] });
            req.end();
          }),
        ),
      );
      const spans = telemetry.spans();
      const byId = new Map(spans.map((s: any) => [s.spanContext().spanId, s]));
      const rootOf = (s: any): any => {
        let cur = s;
        for (;;) {
          const pid = cur.parentSpanContext?.spanId ?? cur.parentSpanId;
          const p = pid ? byId.get(pid) : undefined;
          if (!p) return cur;
          cur = p;
        }
      };
      const requests = spans.filter((s: any) => s.name.startsWith('request-'));
      expect(requests).toHaveLength(N);
      // Each request's tree: request -> RunnableSequence -> {prompt, chat -> http, parser}.
      const perRequest = new Map<string, any[]>();
      for (const s of spans) {
        const root = rootOf(s);
        expect(root.name.startsWith('request-')).toBe(true);
        expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
        const list = perRequest.get(root.name) ?? [];
        list.push(s);
        perRequest.set(root.name, list);
      }
      for (const req of requests) {
        const tree = perRequest.get(req.name)!;
        expect(tree.map((s) => s.name).sort()).toEqual(
          [
            req.name,
            'RunnableSequence',
            'ChatPromptTemplate',
            'chat fake-model-1',
            'model-http',
            'StrOutputParser',
          ].sort(),
        );
        const seq = tree.find((s) => s.name === 'RunnableSequence');
        const chat = tree.find((s) => s.name === 'chat fake-model-1');
        expect(isChildOf(seq, req)).toBe(true);
        expect(isChildOf(chat, seq)).toBe(true);
        expect(
          isChildOf(
            tree.find((s) => s.name === 'model-http'),
            chat,
          ),
        ).toBe(true);
      }
      expect(allByName(spans, 'chat fake-model-1')).toHaveLength(N);
      expect(instrumentation.openRuns).toBe(0);
      // The user's handler still saw every chain run once (after the queue drains).
      const { awaitAllCallbacks } = require('@langchain/core/callbacks/promises');
      await awaitAllCallbacks();
      expect(seen.size).toBe(N * 3);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.LANGCHAIN_CALLBACKS_BACKGROUND;
      else process.env.LANGCHAIN_CALLBACKS_BACKGROUND = previous;
    }
  });
});
