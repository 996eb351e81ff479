/**
 * The real `@langchain/anthropic` ChatAnthropic (and the Anthropic SDK copy it pins), against
 * the fake Messages API on 127.0.0.1, with both of our instrumentations: every way of calling
 * the model gives one LangChain `chat` span with one Anthropic span under it, tokens counted
 * once, and the schema's finish reasons.
 */
import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { messageBody, sseMessage, startFakeAnthropic } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { byName, isChildOf, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup({ captureContent: true });
const anthropicInstrumentation = new AnthropicInstrumentor({ captureContent: true });
anthropicInstrumentation.setTracerProvider(telemetry.tracerProvider);
anthropicInstrumentation.setMeterProvider(telemetry.meterProvider);
anthropicInstrumentation.instrument();

const { ChatAnthropic } = require('@langchain/anthropic');

let server: Awaited<ReturnType<typeof startFakeAnthropic>>;
beforeAll(async () => {
  server = await startFakeAnthropic();
});
beforeEach(() => {
  telemetry.reset();
  server.reset();
});
afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
});

const model = (fields: Record<string, unknown> = {}) =>
  new ChatAnthropic({
    model: 'claude-test',
    apiKey: 'sk-ant-test-key',
    anthropicApiUrl: server.url,
    maxRetries: 0,
    maxTokens: 64,
    ...fields,
  });

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
}

/** The LangChain span and the Anthropic SDK span of the one model call in the trace. */
function pair(): { lc: any; sdk: any } {
  const chat = telemetry.spans().filter((s: any) => s.name === 'chat claude-test');
  expect(chat, chat.map((s: any) => s.attributes['genai_otel.framework']).join()).toHaveLength(2);
  const lc = chat.find((s: any) => s.attributes['genai_otel.framework'] === 'langchain');
  const sdk = chat.find((s: any) => s !== lc);
  expect(lc).toBeDefined();
  expect(isChildOf(sdk, lc)).toBe(true);
  expect(sdk.attributes['gen_ai.provider.name']).toBe('anthropic');
  return { lc, sdk };
}

/** Input tokens recorded by the token usage metric so far (cumulative over the file). */
async function inputTokensMetric(): Promise<number> {
  const metrics = await telemetry.metricsByName();
  let input = 0;
  for (const p of metrics.get('gen_ai.client.token.usage')?.dataPoints ?? [])
    if (p.attributes['gen_ai.token.type'] === 'input') input += p.value.sum;
  return input;
}

describe('@langchain/anthropic ChatAnthropic', () => {
  it('invoke(): the SDK span nests under the LangChain span; usage counted once', async () => {
    const before = await inputTokensMetric();
    const tracer = telemetry.tracerProvider.getTracer('app');
    const reply = await tracer.startActiveSpan('request', async (req: any) => {
      const out = await model().invoke('hello');
      req.end();
      return out;
    });
    expect(reply.content).toBe('Hello there');
    const { lc, sdk } = pair();
    expect(isChildOf(lc, byName(telemetry.spans(), 'request'))).toBe(true);
    expect(lc.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(lc.attributes['gen_ai.request.max_tokens']).toBe(64);
    expect(sdk.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(lc.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(lc.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    expect((await inputTokensMetric()) - before).toBe(10);
    const [out] = JSON.parse(lc.attributes['gen_ai.output.messages']);
    expect(out.finish_reason).toBe('stop');
    expect(JSON.parse(sdk.attributes['gen_ai.output.messages'])[0].finish_reason).toBe('stop');
  });

  it('stream(): both spans cover the stream, with time to first chunk', async () => {
    const before = await inputTokensMetric();
    const chunks: string[] = [];
    for await (const c of await model().stream('hello')) chunks.push(String(c.content));
    expect(chunks.join('')).toBe('Hello there');
    await waitFor(() => telemetry.spans().length >= 2);
    const { lc, sdk } = pair();
    for (const s of [lc, sdk])
      expect(s.attributes['gen_ai.response.time_to_first_chunk'], s.name).toBeGreaterThanOrEqual(0);
    expect((await inputTokensMetric()) - before).toBe(10);
  });

  it('streamEvents() (the event protocol): traced like stream(), the SDK span under it', async () => {
    const before = await inputTokensMetric();
    const stream = model().streamEvents('hello');
    const events: string[] = [];
    for await (const ev of stream) events.push(ev.event);
    expect(events[0]).toBe('message-start');
    expect(events.at(-1)).toBe('message-finish');
    await waitFor(() => telemetry.spans().length >= 2);
    const { lc, sdk } = pair();
    expect(lc.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(sdk.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(lc.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    expect((await inputTokensMetric()) - before).toBe(10);
    const [out] = JSON.parse(lc.attributes['gen_ai.output.messages']);
    expect(out.finish_reason).toBe('stop');
    expect(out.parts).toEqual([{ type: 'text', content: 'Hello there' }]);
  });

  it('a tool call: tool definitions, the tool_call part and finish reason tool_call', async () => {
    server.enqueue({
      kind: 'json',
      body: messageBody({
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'add', input: { a: 1, b: 2 } }],
        stop_reason: 'tool_use',
      }),
    });
    const withTools = model().bindTools([
      {
        name: 'add',
        description: 'adds',
        input_schema: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
        },
      },
    ]);
    const reply = await withTools.invoke('1+2?');
    expect(reply.tool_calls[0]).toMatchObject({ name: 'add', args: { a: 1, b: 2 } });
    const { lc } = pair();
    expect(lc.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
    const [out] = JSON.parse(lc.attributes['gen_ai.output.messages']);
    expect(out.finish_reason).toBe('tool_call');
    expect(out.parts).toContainEqual(
      expect.objectContaining({ type: 'tool_call', id: 'toolu_1', name: 'add' }),
    );
    expect(JSON.parse(lc.attributes['gen_ai.tool.definitions'])[0].name).toBe('add');
  });

  it('a streamed tool call through streamEvents(): finish reason tool_call', async () => {
    server.enqueue(
      sseMessage({
        blocks: [{ type: 'tool_use', id: 'toolu_2', name: 'add', json: ['{"a":', '1}'] }],
        stop_reason: 'tool_use',
      }),
    );
    // A bound model (RunnableBinding) streams the model's events lazily, as it is read; it
    // needs an options object (it reads `options.version`).
    const stream = model()
      .bindTools([{ name: 'add', description: 'adds', input_schema: { type: 'object' } }])
      .streamEvents('1+?', {});
    const events: any[] = [];
    for await (const ev of stream) events.push(ev);
    expect(events.at(-1)).toMatchObject({ event: 'message-finish' });
    await waitFor(() => telemetry.spans().length >= 2);
    const { lc } = pair();
    expect(JSON.parse(lc.attributes['gen_ai.tool.definitions'])[0].name).toBe('add');
    const [out] = JSON.parse(lc.attributes['gen_ai.output.messages']);
    expect(out.finish_reason).toBe('tool_call');
    expect(out.parts).toContainEqual(
      expect.objectContaining({ type: 'tool_call', id: 'toolu_2', name: 'add' }),
    );
  });
});

it('disabled LangChain instrumentation leaves only the SDK span', async () => {
  instrumentation.disable();
  try {
    await model().invoke('hello');
  } finally {
    instrumentation.enable();
  }
  const chat = telemetry.spans().filter((s: any) => s.name === 'chat claude-test');
  expect(chat).toHaveLength(1);
  expect(chat[0].attributes['genai_otel.framework']).not.toBe('langchain');
});

describe('createAgent over ChatAnthropic', () => {
  it('invoke_agent > model and tool steps; each LangChain chat span has its SDK span; tokens once', async () => {
    const { createAgent, tool } = require('langchain');
    const { z } = require('zod');
    server.enqueue(
      {
        kind: 'json',
        body: messageBody({
          id: 'msg_tool',
          content: [
            { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: { city: 'Paris' } },
          ],
          stop_reason: 'tool_use',
        }),
      },
      {
        kind: 'json',
        body: messageBody({ id: 'msg_final', content: [{ type: 'text', text: 'Sunny.' }] }),
      },
    );
    const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: 'get_weather',
      description: 'Weather for a city',
      schema: z.object({ city: z.string() }),
    });
    const before = await inputTokensMetric();
    const agent = createAgent({ model: model(), tools: [weather], name: 'weather_agent' });
    const result = await agent.invoke({
      messages: [{ role: 'user', content: 'weather in Paris?' }],
    });
    expect(result.messages.at(-1).content).toBe('Sunny.');
    expect(server.requests).toHaveLength(2);
    const spans = telemetry.spans();
    const root = byName(spans, 'invoke_agent weather_agent');
    const lcChats = spans.filter(
      (s: any) =>
        s.name === 'chat claude-test' && s.attributes['genai_otel.framework'] === 'langchain',
    );
    const sdkChats = spans.filter(
      (s: any) =>
        s.name === 'chat claude-test' && s.attributes['genai_otel.framework'] !== 'langchain',
    );
    expect(lcChats).toHaveLength(2);
    expect(sdkChats).toHaveLength(2);
    for (const sdk of sdkChats) expect(lcChats.some((lc: any) => isChildOf(sdk, lc))).toBe(true);
    const ancestors = (span: any): any[] => {
      const out: any[] = [];
      for (let cur = span; ; ) {
        const pid = cur.parentSpanContext?.spanId ?? cur.parentSpanId;
        cur = spans.find((s: any) => s.spanContext().spanId === pid);
        if (!cur) return out;
        out.push(cur);
      }
    };
    const toolSpan = byName(spans, 'execute_tool get_weather');
    expect(toolSpan.attributes['gen_ai.tool.call.id']).toBe('toolu_w');
    for (const s of [...lcChats, ...sdkChats, toolSpan]) expect(ancestors(s)).toContain(root);
    expect(new Set(spans.map((s: any) => s.spanContext().traceId)).size).toBe(1);
    // Two calls of 10 input tokens each, counted by the SDK spans only.
    expect((await inputTokensMetric()) - before).toBe(20);
    const finishes = lcChats.map(
      (s: any) => JSON.parse(s.attributes['gen_ai.output.messages'])[0].finish_reason,
    );
    expect(finishes.sort()).toEqual(['stop', 'tool_call']);
    expect(instrumentation.openRuns).toBe(0);
  });
});
