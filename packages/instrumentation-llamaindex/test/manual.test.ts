/**
 * manuallyInstrument(): a module loaded before (or without) the require hook, as bundlers do,
 * user-defined classes handed over on their own, and usage de-duplication with a provider
 * instrumentation running below our LLM span.
 */
import { GenAITelemetry } from '@genai-otel/core';
import { createTestTelemetry, parentId } from '@genai-otel/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { LlamaIndexInstrumentor } from '../src/index.js';
import { buildIndex, loadLlamaIndex, makeFakes } from './fixtures.js';
import { one, spanId } from './setup.js';

// Loaded BEFORE any instrumentor exists: the require hook never sees it.
const li = loadLlamaIndex('llamaindex');
const t = createTestTelemetry();
const instrumentor = new LlamaIndexInstrumentor({
  enabled: false,
  tracerProvider: t.tracerProvider,
  meterProvider: t.meterProvider,
});

afterAll(async () => {
  instrumentor.uninstrument();
  await t.shutdown();
});

describe('manuallyInstrument', () => {
  it('patches a module object loaded without the hook', async () => {
    const fakes = makeFakes(li);
    const index = await buildIndex(li, fakes);
    await index.asQueryEngine().query({ query: 'before' });
    expect(t.spans()).toHaveLength(0);

    instrumentor.manuallyInstrument(li);
    await index.asQueryEngine().query({ query: 'after' });
    const spans = t.spans();
    expect(parentId(one(spans, 'synthesize'))).toBe(spanId(one(spans, 'query')));
    expect(one(spans, 'chat fake-llm-1')).toBeDefined();
  });

  it('accepts a user-defined LLM class and traces direct calls on its instances', async () => {
    class MyLLM extends li.ToolCallLLM {
      get metadata() {
        return { model: 'my-model', temperature: 0, topP: 1, contextWindow: 1000 };
      }
      async chat(_params?: unknown) {
        return {
          message: { role: 'assistant', content: 'hi' },
          raw: {
            usage: { prompt_tokens: 3, completion_tokens: 1 },
            choices: [{ finish_reason: 'stop' }],
          },
        };
      }
    }
    instrumentor.manuallyInstrument(MyLLM);
    t.reset();
    await new MyLLM().chat({ messages: [{ role: 'user', content: 'hello' }] });
    const s = one(t.spans(), 'chat my-model');
    expect(s.attributes['gen_ai.provider.name']).toBe('myllm');
    expect(s.attributes['gen_ai.usage.input_tokens']).toBe(3);
    expect(s.attributes['gen_ai.usage.output_tokens']).toBe(1);
    expect(s.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
  });

  it('providerName option names the provider of custom classes', async () => {
    class AcmeChat extends li.ToolCallLLM {
      get metadata() {
        return { model: 'acme-1', temperature: 0, topP: 1, contextWindow: 1000 };
      }
      async chat(_params?: unknown) {
        return { message: { role: 'assistant', content: 'ok' }, raw: null };
      }
    }
    instrumentor.setConfig({
      ...instrumentor.getConfig(),
      providerName: (m: unknown) => (m instanceof AcmeChat ? 'acme' : undefined),
    });
    instrumentor.manuallyInstrument(AcmeChat);
    t.reset();
    await new AcmeChat().chat({ messages: [] });
    expect(one(t.spans(), 'chat acme-1').attributes['gen_ai.provider.name']).toBe('acme');
    instrumentor.setConfig({ ...instrumentor.getConfig(), providerName: undefined });
  });

  it('de-duplicates usage with a provider instrumentation running inside our LLM span', async () => {
    const provider = new GenAITelemetry(
      () => t.tracerProvider.getTracer('provider'),
      () => t.meterProvider.getMeter('provider'),
      () => ({}),
      'anthropic',
    );
    class ProviderBackedLLM extends li.ToolCallLLM {
      get metadata() {
        return { model: 'claude-test', temperature: 0, topP: 1, contextWindow: 1000 };
      }
      async chat(_params?: unknown) {
        // What @genai-otel/instrumentation-anthropic does around the SDK call.
        const span = provider.startSpan({
          kind: 'LLM',
          name: 'claude-test',
          provider: 'anthropic',
        });
        await new Promise((r) => setTimeout(r, 1));
        span.setUsage({ inputTokens: 10, outputTokens: 2 });
        span.end();
        return {
          message: { role: 'assistant', content: 'ok' },
          raw: { usage: { input_tokens: 10, output_tokens: 2 }, stop_reason: 'end_turn' },
        };
      }
    }
    instrumentor.manuallyInstrument(ProviderBackedLLM);
    t.reset();
    await new ProviderBackedLLM().chat({ messages: [] });
    const spans = t.spans().filter((s: any) => s.name === 'chat claude-test');
    expect(spans).toHaveLength(2);
    const ours = spans.find((s: any) => s.attributes['genai_otel.framework'] === 'llamaindex');
    const theirs = spans.find((s: any) => s !== ours);
    expect(parentId(theirs)).toBe(spanId(ours));
    expect(theirs.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(ours.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(ours.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
  });

  it('ignores things that are not LlamaIndex objects', () => {
    for (const junk of [
      undefined,
      null,
      42,
      'llamaindex',
      {},
      [],
      () => 1,
      Object.create(null),
      new Proxy(
        {},
        {
          get() {
            throw new Error('x');
          },
        },
      ),
    ]) {
      expect(() => instrumentor.manuallyInstrument(junk)).not.toThrow();
    }
  });
});
