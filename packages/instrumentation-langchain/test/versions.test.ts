import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtures, USAGE } from './fixtures.js';
import { byName, isChildOf, setup } from './helpers.js';

// Two copies of @langchain/core in one process: 1.x and 0.3.x (a pnpm alias of the real
// registry package, installed at .pnpm/@langchain+core@0.3.x/node_modules/@langchain/core).
const { telemetry, instrumentation, require } = setup();
const versions = [
  ['1.x', '@langchain/core'],
  ['0.3.x', '@langchain/core-v03'],
] as const;

beforeEach(() => telemetry.reset());
afterAll(() => telemetry.shutdown());

it('really loads two different versions', () => {
  const v1 = require('@langchain/core/package.json').version;
  const v03 = require('@langchain/core-v03/package.json').version;
  expect(v1).toMatch(/^1\./);
  expect(v03).toMatch(/^0\.3\./);
  const m1 = require('@langchain/core/callbacks/manager').CallbackManager;
  const m03 = require('@langchain/core-v03/callbacks/manager').CallbackManager;
  expect(m1).not.toBe(m03);
});

describe.each(versions)('@langchain/core %s', (_label, core) => {
  const f = fixtures(require, core);
  const { UsageChatModel } = f;
  const { ChatPromptTemplate } = f.req('prompts');
  const { StringOutputParser } = f.req('output_parsers');
  const { RunnableLambda } = f.req('runnables');
  const { FakeRetriever, FakeListChatModel } = f.req('utils/testing');
  const { tool } = f.req('tools');
  const { z } = require('zod');
  const tracer = telemetry.tracerProvider.getTracer('app');

  it('chain -> chat model with usage, nested under the caller', async () => {
    const chain = ChatPromptTemplate.fromMessages([['human', '{q}']])
      .pipe(
        new UsageChatModel({ inner: () => tracer.startActiveSpan('inner', (s: any) => s.end()) }),
      )
      .pipe(new StringOutputParser());
    await tracer.startActiveSpan('caller', async (c: any) => {
      expect(await chain.invoke({ q: 'hi' })).toBe('the answer is 42');
      c.end();
    });
    const spans = telemetry.spans();
    const seq = byName(spans, 'RunnableSequence');
    const chat = byName(spans, 'chat fake-model-1');
    expect(isChildOf(seq, byName(spans, 'caller'))).toBe(true);
    expect(isChildOf(chat, seq)).toBe(true);
    expect(isChildOf(byName(spans, 'inner'), chat)).toBe(true);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'fake-model-1',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.usage.input_tokens': USAGE.input_tokens,
      'gen_ai.usage.output_tokens': USAGE.output_tokens,
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
  });

  it('streaming: time to first chunk, aggregated usage, early stop', async () => {
    const model = new UsageChatModel({ reply: 'a b c' });
    for await (const _ of await model.stream('hi')) {
      // consume
    }
    let span = byName(telemetry.spans(), 'chat fake-model-1');
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(3);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    telemetry.reset();
    for await (const _ of await model.stream('hi')) break;
    for (let i = 0; i < 50 && telemetry.spans().length === 0; i++)
      await new Promise((r) => setImmediate(r));
    span = byName(telemetry.spans(), 'chat fake-model-1');
    expect(span.attributes['genai_otel.langchain.stream.cancelled']).toBe(true);
    expect(instrumentation.openRuns).toBe(0);
  });

  it('retriever, tool, lambda error', async () => {
    await new FakeRetriever().invoke('q');
    const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: 'get_weather',
      description: 'weather',
      schema: z.object({ city: z.string() }),
    });
    await weather.invoke({ city: 'Oslo' });
    await expect(
      RunnableLambda.from(() => {
        throw new Error('nope');
      })
        .withConfig({ runName: 'fails' })
        .invoke('x'),
    ).rejects.toThrow('nope');
    await new FakeListChatModel({ responses: ['ok'] }).invoke('hi');
    const spans = telemetry.spans();
    expect(
      byName(spans, 'retrieval FakeRetriever').attributes['genai_otel.retrieval.document_count'],
    ).toBe(2);
    expect(byName(spans, 'execute_tool get_weather')).toBeDefined();
    expect(byName(spans, 'fails').status.code).toBe(SpanStatusCode.ERROR);
    expect(byName(spans, 'chat FakeListChatModel')).toBeDefined();
  });
});
