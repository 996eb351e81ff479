import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { startFakeAnthropic } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { allByName, byName, isChildOf, setup } from './helpers.js';

// Our Anthropic instrumentation inside a LangChain chat model run: the provider span nests
// under the LangChain span, and the call's tokens are counted once (by the provider span).
const { telemetry, require } = setup();
const anthropicInstrumentation = new AnthropicInstrumentor();
anthropicInstrumentation.setTracerProvider(telemetry.tracerProvider);
anthropicInstrumentation.setMeterProvider(telemetry.meterProvider);
anthropicInstrumentation.instrument();

const Anthropic = require('@anthropic-ai/sdk').default ?? require('@anthropic-ai/sdk');
const { BaseChatModel } = require('@langchain/core/language_models/chat_models');
const { AIMessage } = require('@langchain/core/messages');
const { ChatPromptTemplate } = require('@langchain/core/prompts');

let server: Awaited<ReturnType<typeof startFakeAnthropic>>;
let client: any;

/** A minimal LangChain chat model backed by the Anthropic SDK (like @langchain/anthropic). */
class AnthropicChat extends BaseChatModel {
  constructor(fields: any = {}) {
    super(fields);
  }
  _llmType() {
    return 'anthropic-mini';
  }
  getLsParams() {
    return { ls_provider: 'anthropic', ls_model_name: 'claude-test', ls_model_type: 'chat' };
  }
  async _generate(messages: any[], options: any) {
    const res = await client.messages.create(
      {
        model: 'claude-test',
        max_tokens: 64,
        messages: messages.map((m) => ({ role: 'user', content: String(m.content) })),
      },
      { signal: options?.signal },
    );
    const text = res.content.map((b: any) => b.text ?? '').join('');
    const message = new AIMessage({
      content: text,
      usage_metadata: {
        input_tokens: res.usage.input_tokens,
        output_tokens: res.usage.output_tokens,
        total_tokens: res.usage.input_tokens + res.usage.output_tokens,
      },
    });
    return { generations: [{ text, message }] };
  }
}

beforeAll(async () => {
  server = await startFakeAnthropic();
  client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
});
beforeEach(() => telemetry.reset());
afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
});

it('the Anthropic span nests under the LangChain model span; usage is counted once', async () => {
  const chain = ChatPromptTemplate.fromMessages([['human', '{q}']]).pipe(new AnthropicChat({}));
  const tracer = telemetry.tracerProvider.getTracer('app');
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      tracer.startActiveSpan(`request-${i}`, async (req: any) => {
        await chain.invoke({ q: `hello ${i}` });
        req.end();
      }),
    ),
  );
  const spans = telemetry.spans();
  const lcSpans = spans.filter(
    (s: any) =>
      s.attributes['genai_otel.framework'] === 'langchain' && s.name === 'chat claude-test',
  );
  expect(lcSpans).toHaveLength(10);
  const providerSpans = spans.filter(
    (s: any) => s.attributes['genai_otel.span.kind'] === 'LLM' && !lcSpans.includes(s),
  );
  expect(providerSpans).toHaveLength(10);
  for (const p of providerSpans) {
    const parent = lcSpans.find((l: any) => isChildOf(p, l));
    expect(parent).toBeDefined();
    expect(p.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(p.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(parent.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(parent.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
  }
  for (let i = 0; i < 10; i++) {
    const req = byName(spans, `request-${i}`);
    expect(allByName(spans, 'RunnableSequence').some((s: any) => isChildOf(s, req))).toBe(true);
  }
  // Token metric: 10 calls x 10 input tokens, not 200.
  const metrics = await telemetry.metricsByName();
  let input = 0;
  for (const p of metrics.get('gen_ai.client.token.usage')?.dataPoints ?? [])
    if (p.attributes['gen_ai.token.type'] === 'input') input += p.value.sum;
  expect(input).toBe(100);
});

it('a call the user aborts is a cancellation in both instrumentations, not an error', async () => {
  server.enqueue({ kind: 'hang' });
  const chain = ChatPromptTemplate.fromMessages([['human', '{q}']]).pipe(new AnthropicChat({}));
  const controller = new AbortController();
  const requestsBefore = server.requests.length;
  const call = chain.invoke({ q: 'never mind' }, { signal: controller.signal });
  while (server.requests.length === requestsBefore) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  await expect(call).rejects.toThrow();
  // The provider call settles after the caller's rejection: wait for its span.
  for (let i = 0; i < 400 && telemetry.spans().length < 4; i++)
    await new Promise((r) => setTimeout(r, 5));
  const spans = telemetry.spans();
  const lc = spans.find(
    (s: any) =>
      s.attributes['genai_otel.framework'] === 'langchain' && s.name === 'chat claude-test',
  );
  const provider = spans.find(
    (s: any) => s.name === 'chat claude-test' && s !== lc && s.attributes['genai_otel.span.kind'],
  );
  for (const span of [lc, provider, byName(spans, 'RunnableSequence')]) {
    expect(span, 'span').toBeDefined();
    expect(span.attributes['genai_otel.cancelled'], span.name).toBe(true);
    expect(span.status.code, span.name).not.toBe(2);
    expect(span.attributes['error.type'], span.name).toBeUndefined();
  }
});
