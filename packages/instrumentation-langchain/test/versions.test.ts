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
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
    expect(instrumentation.openRuns).toBe(0);
  });

  describe('streams cancelled through their AbortSignal', () => {
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    /** Runs until our handler has nothing open (LangChain gets the turn, then we end the rest). */
    const settle = async () => {
      for (let i = 0; i < 50 && instrumentation.openRuns > 0; i++)
        await new Promise((r) => setImmediate(r));
    };
    const seq = (model: unknown) => ChatPromptTemplate.fromMessages([['human', '{q}']]).pipe(model);

    it.each([
      ['a chat model', false],
      ['a sequence', true],
    ])(
      'stream() of %s aborted mid-stream: its spans end, cancelled (not errors); the caller still gets the AbortError',
      async (_what, inSeq) => {
        const model = new UsageChatModel({ reply: 'a b c d e f' });
        const runnable = inSeq ? seq(model) : model;
        const controller = new AbortController();
        const consume = async () => {
          for await (const _ of await runnable.stream(inSeq ? { q: 'hi' } : 'hi', {
            signal: controller.signal,
          }))
            controller.abort();
        };
        await expect(consume()).rejects.toThrow(/abort/i);
        await settle();
        expect(instrumentation.openRuns).toBe(0);
        const spans = telemetry.spans();
        // Whether LangChain reports a run's abort itself (then we see its AbortError) or drops
        // the run (then we end it) is a race inside LangChain that differs by version and Node
        // release; either way the run is a cancellation.
        const names = inSeq ? ['chat fake-model-1', 'RunnableSequence'] : ['chat fake-model-1'];
        for (const name of names) {
          const span = byName(spans, name);
          expect(span.attributes['genai_otel.cancelled']).toBe(true);
          expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
          expect(span.attributes['error.type']).toBeUndefined();
        }
        if (inSeq)
          expect(
            isChildOf(byName(spans, 'chat fake-model-1'), byName(spans, 'RunnableSequence')),
          ).toBe(true);
      },
    );

    it('streamEvents() on a chat model whose consumer stops early: the model span ends at that point, cancelled', async () => {
      const model = new UsageChatModel({ reply: 'a b c d e f' });
      try {
        for await (const ev of model.streamEvents('hi', { version: 'v2' }))
          if (ev.event === 'on_chat_model_stream') break;
      } catch {
        // 0.3.x throws an abort error at the consumer's `break` (with or without us)
      }
      const stoppedAt = Date.now();
      // A deliberate wait before the span is ended, so a span ended late would show it.
      await new Promise((r) => setTimeout(r, 30));
      await settle();
      expect(instrumentation.openRuns).toBe(0);
      const span = byName(telemetry.spans(), 'chat fake-model-1');
      expect(span.attributes['genai_otel.cancelled']).toBe(true);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      // LangChain drops this run on abort: we end it at the abort, not when we got round to it.
      expect(ms(span.endTime)).toBeLessThanOrEqual(stoppedAt + 1);
    });

    it('a signal shared by many completed streams collects no listeners of ours', async () => {
      const { getEventListeners } = require('node:events');
      const controller = new AbortController();
      const model = new UsageChatModel({ reply: 'a b' });
      for (let i = 0; i < 20; i++) {
        for await (const _ of await model.stream('hi', { signal: controller.signal })) {
          // consume
        }
        for await (const _ of await seq(model).stream({ q: 'hi' }, { signal: controller.signal })) {
          // consume
        }
      }
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(telemetry.spans().filter((s: any) => s.name === 'chat fake-model-1')).toHaveLength(40);
      expect(instrumentation.openRuns).toBe(0);
    });
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
