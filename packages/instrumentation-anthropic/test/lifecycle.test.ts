/**
 * instrument()/uninstrument(), manuallyInstrument(), usage de-dup under a framework LLM span,
 * content in events, OpenInference vocabulary.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createTestLogs,
  messageBody,
  setGlobalLoggerProvider,
  sseText,
} from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicInstrumentor } from '../src/index.js';
import {
  BASE_PARAMS,
  client,
  createHarness,
  gate,
  type Harness,
  loadSdk,
  require,
} from './helpers.js';

let h: Harness;
let Anthropic: any;

beforeAll(async () => {
  h = await createHarness();
  Anthropic = loadSdk('@anthropic-ai/sdk-v0');
});
afterAll(async () => {
  h.inst.disable();
  await h.server.close();
  await h.t.shutdown();
});
beforeEach(() => {
  h.t.reset();
  h.server.reset();
  h.inst.setConfig({});
});

describe('lifecycle', () => {
  it('uninstrument() removes the patches, instrument() restores them', async () => {
    const c = client(Anthropic, h.server);
    h.inst.uninstrument();
    const msg = await c.messages.create(BASE_PARAMS);
    expect(msg.id).toBe('msg_fake_01');
    expect(h.t.spans()).toHaveLength(0);
    expect((Anthropic.Messages.prototype.create as any).__wrapped).toBeFalsy();
    h.inst.instrument();
    await c.messages.create(BASE_PARAMS);
    expect(h.t.spans()).toHaveLength(1);
  });

  it('manuallyInstrument() patches an SDK module the require hook did not see', async () => {
    // A second instrumentation, disabled, so it installs no hook of its own.
    h.inst.uninstrument();
    const manual = new AnthropicInstrumentor({ enabled: false });
    manual.setTracerProvider(h.t.tracerProvider);
    manual.setMeterProvider(h.t.meterProvider);
    try {
      manual.manuallyInstrument(require('@anthropic-ai/sdk-v0'));
      const c = client(Anthropic, h.server);
      await c.messages.create(BASE_PARAMS);
      await c.beta.messages.create(BASE_PARAMS);
      await c.completions.create({ model: 'claude-2', max_tokens_to_sample: 5, prompt: 'x' });
      expect(h.t.spans().map((s: any) => s.name)).toEqual([
        'chat claude-test',
        'chat claude-test',
        'text_completion claude-2',
      ]);
      manual.uninstrument();
      h.t.reset();
      await c.messages.create(BASE_PARAMS);
      expect(h.t.spans()).toHaveLength(0);
    } finally {
      manual.uninstrument();
      h.inst.instrument();
    }
  });

  it('manuallyInstrument() accepts a client instance, and leaves hook-owned patches alone', async () => {
    const c = client(Anthropic, h.server);
    // Hook-patched already: a second instance must neither re-wrap nor later unwrap it.
    const other = new AnthropicInstrumentor({ enabled: false });
    other.manuallyInstrument(c);
    other.uninstrument();
    expect((Anthropic.Messages.prototype.create as any).__wrapped).toBe(true);

    h.inst.uninstrument();
    const manual = new AnthropicInstrumentor({ enabled: false });
    manual.setTracerProvider(h.t.tracerProvider);
    try {
      manual.manuallyInstrument(c);
      await c.messages.create(BASE_PARAMS);
      expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test']);
    } finally {
      manual.uninstrument();
      h.inst.instrument();
    }
  });

  it('manuallyInstrument() never throws on junk', () => {
    const manual = new AnthropicInstrumentor({ enabled: false });
    expect(() => manual.manuallyInstrument(undefined)).not.toThrow();
    expect(() => manual.manuallyInstrument(42)).not.toThrow();
    expect(() => manual.manuallyInstrument({ default: { Messages: 1 } })).not.toThrow();
  });

  it('usage is counted once: the provider span records it, a framework LLM span above it does not', async () => {
    const c = client(Anthropic, h.server);
    const framework = h.inst.telemetry.startSpan({
      kind: 'LLM',
      name: 'claude-test',
      provider: 'anthropic',
    });
    framework.setUsage({ inputTokens: 10, outputTokens: 5 });
    await framework.with(() => c.messages.create(BASE_PARAMS));
    framework.end();
    const spans = h.t.spans();
    expect(spans).toHaveLength(2);
    const [provider, outer] = spans;
    expect(provider.parentSpanContext?.spanId ?? provider.parentSpanId).toBe(
      outer.spanContext().spanId,
    );
    expect(provider.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(outer.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(outer.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
  });

  it('EVENT_ONLY puts content on the details event, not on attributes', async () => {
    h.inst.setConfig({ captureContent: 'EVENT_ONLY' });
    const c = client(Anthropic, h.server);
    await c.messages.create(BASE_PARAMS);
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    const ev = span.events.find((e: any) => e.name === 'gen_ai.client.inference.operation.details');
    expect(JSON.parse(ev.attributes['gen_ai.input.messages'])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
    ]);
    expect(JSON.parse(ev.attributes['gen_ai.output.messages'])[0].parts).toEqual([
      { type: 'text', content: 'Hello there' },
    ]);
  });

  it('EVENT_ONLY with a LoggerProvider: the details event is a log record in the chat span', async () => {
    h.inst.setConfig({ captureContent: 'EVENT_ONLY' });
    const logs = createTestLogs();
    const undo = setGlobalLoggerProvider(logs.loggerProvider);
    try {
      const c = client(Anthropic, h.server);
      await c.messages.create(BASE_PARAMS);
    } finally {
      undo();
    }
    const [span] = h.t.spans();
    expect(span.events.filter((e: any) => e.name !== 'exception')).toHaveLength(0);
    const [record] = logs.records();
    expect(record.eventName).toBe('gen_ai.client.inference.operation.details');
    expect(record.instrumentationScope.name).toBe('@genai-otel/instrumentation-anthropic');
    expect(record.spanContext.spanId).toBe(span.spanContext().spanId);
    expect(record.attributes['gen_ai.input.messages']).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
    ]);
    expect(record.attributes['gen_ai.output.messages'][0].parts).toEqual([
      { type: 'text', content: 'Hello there' },
    ]);
    expect(record.attributes['gen_ai.request.model']).toBe('claude-test');
    await logs.shutdown();
  });

  it('the redact hook and the length limit apply to captured content', async () => {
    h.inst.setConfig({
      captureContent: true,
      redact: (v) => v.replaceAll('hello', '[x]'),
    });
    const c = client(Anthropic, h.server);
    await c.messages.create(BASE_PARAMS);
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.input.messages']).toContain('Say [x]');
  });

  it('openinference vocabulary is added when asked for', async () => {
    h.inst.setConfig({ semconv: ['gen_ai', 'openinference'] });
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a'] }));
    for await (const _ of await c.messages.create({ ...BASE_PARAMS, stream: true })) {
      // drain
    }
    const [span] = h.t.spans();
    expect(span.attributes['openinference.span.kind']).toBe('LLM');
    expect(span.attributes['llm.token_count.prompt']).toBe(10);
  });

  describe('results dropped unread end their span when garbage-collected', () => {
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const collectUntilSpan = async () => {
      for (let i = 0; i < 100 && h.t.spans().length === 0; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
    };

    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    const pause = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

    it('a Stream never iterated: ends cancelled at the response, not at the collection', async () => {
      const c = client(Anthropic, h.server);
      h.server.enqueue(sseText({ text: ['a'] }));
      const before = Date.now();
      await (async () => {
        await c.messages.create({ ...BASE_PARAMS, model: 'claude-dropped', stream: true });
      })();
      const arrived = Date.now();
      await pause(100); // the collection comes later than the response, as in an application
      await collectUntilSpan();
      const spans = h.t.spans();
      expect(spans).toHaveLength(1);
      expect(spans[0].attributes['genai_otel.cancelled']).toBe(true);
      // At the response (or, if the SDK's sub-millisecond clock runs ahead of Date.now(), at the
      // span's own start, which an end never precedes); never at the collection.
      expect(ms(spans[0].endTime)).toBeLessThanOrEqual(Math.max(arrived, ms(spans[0].startTime)));
      // The duration metric does not count the time the stream lay unread either.
      const metrics = await h.t.metricsByName();
      const [point] = metrics
        .get('gen_ai.client.operation.duration')
        .dataPoints.filter((p: any) => p.attributes['gen_ai.request.model'] === 'claude-dropped');
      // Measured on one clock (Date.now(), as the metric is): the span started after `before`.
      expect(point.value.max).toBeLessThanOrEqual((arrived - before) / 1000);
    });

    it('an iterator abandoned mid-way: ends cancelled at the last event read', async () => {
      const c = client(Anthropic, h.server);
      h.server.enqueue(sseText({ text: ['a', 'b', 'c'] }));
      const lastRead = await (async () => {
        const it = (await c.messages.create({ ...BASE_PARAMS, stream: true }))[
          Symbol.asyncIterator
        ]();
        await it.next();
        await it.next();
        return Date.now();
      })();
      await pause(100);
      await collectUntilSpan();
      const spans = h.t.spans();
      expect(spans).toHaveLength(1);
      expect(spans[0].attributes['genai_otel.cancelled']).toBe(true);
      expect(ms(spans[0].endTime)).toBeLessThanOrEqual(Math.max(lastRead, ms(spans[0].startTime)));
    });

    it('an APIPromise never awaited', async () => {
      const c = client(Anthropic, h.server);
      (() => {
        c.messages.create(BASE_PARAMS);
      })();
      await collectUntilSpan();
      expect(h.t.spans()).toHaveLength(1);
    });

    it.each(['@anthropic-ai/sdk-v030', '@anthropic-ai/sdk'])(
      'an awaited APIPromise collected while the response is pending is not ended early (%s)',
      async (alias) => {
        // SDKs before 0.50 do not keep the APIPromise alive while its body is awaited.
        const c = client(loadSdk(alias), h.server);
        const g = gate();
        h.server.enqueue({ kind: 'json', body: messageBody(), firstByteGate: g.promise });
        const pending = (() => c.messages.create(BASE_PARAMS).then((m: any) => m))();
        while (h.server.requests.length === 0) await new Promise((r) => setImmediate(r));
        for (let i = 0; i < 5; i++) {
          gc();
          await new Promise((r) => setImmediate(r));
        }
        g.open();
        const msg = await pending;
        expect(msg.id).toBe('msg_fake_01');
        const chat = h.t.spans().filter((s: any) => s.name === 'chat claude-test');
        expect(chat).toHaveLength(1);
        expect(chat[0].attributes['genai_otel.cancelled']).toBeUndefined();
        expect(chat[0].attributes['gen_ai.usage.output_tokens']).toBe(5);
      },
    );

    it('a stream being read is not ended early by GC', async () => {
      const c = client(Anthropic, h.server);
      h.server.enqueue(sseText({ text: ['a', 'b', 'c'] }));
      const it = (await c.messages.create({ ...BASE_PARAMS, stream: true }))[
        Symbol.asyncIterator
      ]();
      await it.next();
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      expect(h.t.spans()).toHaveLength(0);
      while (!(await it.next()).done) {
        // drain
      }
      expect(h.t.spans()).toHaveLength(1);
      expect(h.t.spans()[0].attributes['genai_otel.cancelled']).toBeUndefined();
    });
  });

  it('MessageStream.abort() mid-stream: the helper behaves as usual, the span ends cancelled', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b', 'c', 'd'] }));
    const ms = c.messages.stream(BASE_PARAMS);
    ms.on('text', () => ms.abort());
    const err = await ms.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIUserAbortError);
    const [span] = h.t.spans();
    expect(span.status.code).not.toBe(2);
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
  });

  it('concurrent calls each get their own span under their own parent', async () => {
    const c = client(Anthropic, h.server);
    const tracer = h.t.tracerProvider.getTracer('app');
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        tracer.startActiveSpan(`job ${i}`, async (parent: any) => {
          if (i % 2) {
            // No scripted reply: the server answers by the request (stream or not).
            for await (const _ of await c.messages.create({ ...BASE_PARAMS, stream: true })) {
              // drain
            }
          } else {
            await c.messages.create(BASE_PARAMS);
          }
          parent.end();
        }),
      ),
    );
    const spans = h.t.spans();
    const chats = spans.filter((s: any) => s.name === 'chat claude-test');
    expect(chats).toHaveLength(5);
    const parents = new Set(chats.map((s: any) => s.parentSpanContext?.spanId ?? s.parentSpanId));
    expect(parents.size).toBe(5);
    for (const p of parents) {
      expect(spans.find((s: any) => s.spanContext().spanId === p)?.name).toMatch(/^job /);
    }
  });

  it('a broken tracer provider never breaks the call', async () => {
    const c = client(Anthropic, h.server);
    const broken = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer down');
        },
        startActiveSpan: () => {
          throw new Error('tracer down');
        },
      }),
    };
    h.inst.setTracerProvider(broken as any);
    try {
      const msg = await c.messages.create(BASE_PARAMS);
      expect(msg.content[0].text).toBe('Hello there');
      h.server.enqueue(sseText({ text: ['x', 'y'] }));
      let text = '';
      for await (const ev of await c.messages.create({ ...BASE_PARAMS, stream: true })) {
        if (ev.type === 'content_block_delta') text += ev.delta.text;
      }
      expect(text).toBe('xy');
    } finally {
      h.inst.setTracerProvider(h.t.tracerProvider);
    }
  });

  it('a throwing redact hook costs the content, never the call', async () => {
    h.inst.setConfig({
      captureContent: true,
      redact: () => {
        throw new Error('redactor down');
      },
    });
    const c = client(Anthropic, h.server);
    const msg = await c.messages.create(BASE_PARAMS);
    expect(msg.id).toBe('msg_fake_01');
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(10);
  });
});
