import { createRequire } from 'node:module';
import { renderTree } from '@genai-otel/test-utils';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';
import { allByName, byName, isChildOf, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { createAgent, FakeToolCallingModel, tool } = require('langchain');
const { RunnableLambda } = require('@langchain/core/runnables');
const { z } = require('zod');

beforeEach(() => {
  telemetry.reset();
  instrumentation.setConfig({});
});
afterAll(() => telemetry.shutdown());

const weather = () =>
  tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: 'get_weather',
    description: 'Weather for a city',
    schema: z.object({ city: z.string() }),
  });

const ancestors = (spans: any[], span: any): any[] => {
  const out: any[] = [];
  let cur = span;
  for (;;) {
    const pid = cur.parentSpanContext?.spanId ?? cur.parentSpanId;
    cur = spans.find((s) => s.spanContext().spanId === pid);
    if (!cur) return out;
    out.push(cur);
  }
};

describe('createAgent (LangGraph)', () => {
  it('invoke_agent {name} over its model and tool steps', async () => {
    const agent = createAgent({
      model: new FakeToolCallingModel({
        toolCalls: [[{ name: 'get_weather', args: { city: 'Paris' }, id: 'call_1' }], []],
      }),
      tools: [weather()],
      name: 'weather_agent',
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'weather?' }] });
    expect(result.messages.at(-1).content).toContain('sunny in Paris');
    const spans = telemetry.spans();
    const root = byName(spans, 'invoke_agent weather_agent');
    expect(root.kind).toBe(SpanKind.INTERNAL);
    expect(root.attributes).toMatchObject({
      'genai_otel.span.kind': 'AGENT',
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'weather_agent',
    });
    // Exactly one agent span: the graph's inner runs carry lc_agent_name too.
    expect(spans.filter((s: any) => s.attributes['genai_otel.span.kind'] === 'AGENT')).toHaveLength(
      1,
    );
    const chats = spans.filter((s: any) => s.name.startsWith('chat '));
    expect(chats).toHaveLength(2);
    const toolSpan = byName(spans, 'execute_tool get_weather');
    expect(toolSpan.attributes['gen_ai.tool.call.id']).toBe('call_1');
    for (const s of [...chats, toolSpan]) expect(ancestors(spans, s)).toContain(root);
    // LangGraph's hidden plumbing (`__start__`, channel writes) produces no spans.
    expect(spans.find((s: any) => s.name === '__start__')).toBeUndefined();
    expect(allByName(spans, 'model_request').length).toBeGreaterThanOrEqual(2);
    expect(renderTree(spans).split('\n')[0]).toBe('invoke_agent weather_agent');
    expect(instrumentation.openRuns).toBe(0);
  });

  it('an unnamed agent is still one agent span', async () => {
    const agent = createAgent({
      model: new FakeToolCallingModel({ toolCalls: [[]] }),
      tools: [weather()],
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'hi' }] });
    const spans = telemetry.spans();
    const root = byName(spans, 'invoke_agent LangGraph');
    expect(root.attributes['genai_otel.span.kind']).toBe('AGENT');
    expect(spans.filter((s: any) => s.attributes['genai_otel.span.kind'] === 'AGENT')).toHaveLength(
      1,
    );
    expect(isChildOf(byName(spans, 'model_request'), root)).toBe(true);
  });
});

describe('human in the loop (LangGraph interrupt)', () => {
  // LangGraph as langchain installs it (the agent's own graph library).
  const langgraph = createRequire(require.resolve('langchain'))('@langchain/langgraph');

  it('an interrupt pauses the run: no error spans; the resumed run completes the tool', async () => {
    const approve = tool(
      async ({ city }: { city: string }) => {
        const answer = langgraph.interrupt({ question: `book ${city}?` });
        return `booked ${city}: ${answer}`;
      },
      { name: 'book', description: 'needs approval', schema: z.object({ city: z.string() }) },
    );
    const agent = createAgent({
      model: new FakeToolCallingModel({
        toolCalls: [[{ name: 'book', args: { city: 'Paris' }, id: 'call_1' }], []],
      }),
      tools: [approve],
      name: 'booking_agent',
      checkpointer: new langgraph.MemorySaver(),
    });
    const config = { configurable: { thread_id: 'thread-1' } };
    const paused = await agent.invoke({ messages: [{ role: 'user', content: 'book' }] }, config);
    expect(paused.__interrupt__).toBeDefined();
    let spans = telemetry.spans();
    const interrupted = byName(spans, 'execute_tool book');
    expect(interrupted.attributes['genai_otel.langchain.control_flow']).toBe('GraphInterrupt');
    for (const s of spans) {
      expect(s.status.code, s.name).not.toBe(SpanStatusCode.ERROR);
      expect(s.attributes['error.type'], s.name).toBeUndefined();
    }
    expect(instrumentation.openRuns).toBe(0);

    telemetry.reset();
    const resumed = await agent.invoke(new langgraph.Command({ resume: 'yes' }), config);
    expect(resumed.messages.at(-1).content).toContain('booked Paris: yes');
    spans = telemetry.spans();
    const done = byName(spans, 'execute_tool book');
    expect(done.attributes['genai_otel.langchain.control_flow']).toBeUndefined();
    expect(byName(spans, 'invoke_agent booking_agent')).toBeDefined();
  });

  it('a real tool error still is one', async () => {
    const broken = tool(
      async () => {
        throw new RangeError('no rooms');
      },
      { name: 'book', description: 'fails', schema: z.object({ city: z.string() }) },
    );
    const agent = createAgent({
      model: new FakeToolCallingModel({
        toolCalls: [[{ name: 'book', args: { city: 'Paris' }, id: 'call_1' }], []],
      }),
      tools: [broken],
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'book' }] }).catch(() => undefined);
    const span = byName(telemetry.spans(), 'execute_tool book');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('RangeError');
    expect(span.attributes['genai_otel.langchain.control_flow']).toBeUndefined();
  });
});

describe('legacy AgentExecutor (@langchain/classic)', () => {
  it('invoke_agent AgentExecutor over its model and tool steps', async () => {
    const { AgentExecutor } = require('@langchain/classic/agents');
    const { UsageChatModel } = fixtures(require);
    const { ChatPromptTemplate } = require('@langchain/core/prompts');
    // A tiny agent runnable: call the model, then one tool call, then finish.
    const agent = RunnableLambda.from(async (input: any) => {
      await ChatPromptTemplate.fromMessages([['human', '{input}']])
        .pipe(new UsageChatModel())
        .invoke({ input: input.input });
      if (input.steps.length === 0)
        return { tool: 'get_weather', toolInput: { city: 'Paris' }, log: 'calling get_weather' };
      return { returnValues: { output: input.steps[0].observation }, log: 'done' };
    }).withConfig({ runName: 'agent_step' });
    const executor = AgentExecutor.fromAgentAndTools({ agent, tools: [weather()] });
    const out = await executor.invoke({ input: 'weather in Paris?' });
    expect(out.output).toBe('sunny in Paris');
    const spans = telemetry.spans();
    const root = byName(spans, 'invoke_agent AgentExecutor');
    expect(root.attributes).toMatchObject({
      'genai_otel.span.kind': 'AGENT',
      'gen_ai.agent.name': 'AgentExecutor',
    });
    expect(root.parentSpanContext?.spanId ?? root.parentSpanId).toBeUndefined();
    const chats = spans.filter((s: any) => s.name === 'chat fake-model-1');
    expect(chats).toHaveLength(2);
    const toolSpan = byName(spans, 'execute_tool get_weather');
    for (const s of [...chats, toolSpan]) expect(ancestors(spans, s)).toContain(root);
    expect(instrumentation.openRuns).toBe(0);
  });
});

describe("LangGraph streamEvents({ version: 'v3' })", () => {
  const langgraph = createRequire(require.resolve('langchain'))('@langchain/langgraph');

  // v3 asks LangChain (1.2+) to stream models through its event protocol: no token callbacks,
  // `handleChatModelStreamEvent` instead.
  it('a model streamed through the event protocol still records time to first chunk', async () => {
    const { UsageChatModel } = fixtures(require);
    const model = new UsageChatModel({ reply: 'a b c' });
    const graph = new langgraph.StateGraph(langgraph.MessagesAnnotation)
      .addNode('call_model', async (s: any) => ({ messages: [await model.invoke(s.messages)] }))
      .addEdge(langgraph.START, 'call_model')
      .compile();
    const run = await graph.streamEvents(
      { messages: [{ role: 'user', content: 'hi' }] },
      { version: 'v3' },
    );
    let events = 0;
    for await (const _ of run) events++;
    expect(events).toBeGreaterThan(0);
    const spans = telemetry.spans();
    const chat = byName(spans, 'chat fake-model-1');
    expect(chat.attributes['gen_ai.request.stream']).toBe(true);
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(3);
    expect(isChildOf(chat, byName(spans, 'call_model'))).toBe(true);
    expect(instrumentation.openRuns).toBe(0);
  });
});
