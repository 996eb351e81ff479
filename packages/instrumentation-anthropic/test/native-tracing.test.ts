/**
 * SDKs that trace themselves (0.137+, 1.x): exactly one chat span per call, ours, carrying the
 * HTTP facts the SDK records, without the user changing client options.
 */
import { messageBody, sseText } from '@genai-otel/test-utils';
import { SpanKind, trace } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_PARAMS, client, loadSdk, require, SDKS, useHarness } from './helpers.js';

// Shared lifecycle; after every test, no span may carry the API key.
const h = useHarness();

const traceparentOf = (i: number) => String(h.server.requests[i].headers.traceparent ?? '');

describe.each(SDKS.filter((s) => s.native))('@anthropic-ai/sdk $version native tracing', (sdk) => {
  let Anthropic: any;
  beforeAll(() => {
    Anthropic = loadSdk(sdk.alias);
  });

  it('the SDK really traces itself here (control: nativeSpans "keep" gives its span too)', async () => {
    h.inst.setConfig({ nativeSpans: 'keep' });
    const c = client(Anthropic, h.server);
    await c.messages.create(BASE_PARAMS);
    const names = h.t.spans().map((s: any) => s.name);
    expect(names).toContain('anthropic.messages.create');
    expect(names).toContain('chat claude-test');
    const ours = h.t.spanByName('chat claude-test');
    const native = h.t.spanByName('anthropic.messages.create');
    // Theirs runs inside ours.
    expect(native.parentSpanContext?.spanId ?? native.parentSpanId).toBe(ours.spanContext().spanId);
  });

  it('replaces the native span: one span for create(), with the SDK HTTP facts on it', async () => {
    const c = client(Anthropic, h.server);
    await c.messages.create(BASE_PARAMS);
    const spans = h.t.spans();
    expect(spans.map((s: any) => s.name)).toEqual(['chat claude-test']);
    const [span] = spans;
    expect(span.kind).toBe(SpanKind.CLIENT);
    // Set only by the SDK's tracing, through our proxy: proof that it recorded on our span.
    expect(span.attributes['http.request.method']).toBe('POST');
    expect(span.attributes['url.path']).toBe('/v1/messages');
    // Our own attribute set is complete and not overwritten by the SDK's names.
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(span.attributes['gen_ai.usage.cache_write.input_tokens']).toBeUndefined();
    // The SDK propagates the context of OUR span.
    const [, traceId, spanId] = traceparentOf(0).split('-');
    expect(traceId).toBe(span.spanContext().traceId);
    expect(spanId).toBe(span.spanContext().spanId);
  });

  it('one span for stream() (the helper starts its span before create())', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b'] }));
    const final = await c.messages.stream(BASE_PARAMS).finalMessage();
    expect(final.content[0].text).toBe('ab');
    const spans = h.t.spans();
    expect(spans.map((s: any) => s.name)).toEqual(['chat claude-test']);
    expect(spans[0].attributes['url.path']).toBe('/v1/messages');
    expect(spans[0].attributes['gen_ai.usage.output_tokens']).toBe(7);
    expect(traceparentOf(0).split('-')[2]).toBe(spans[0].spanContext().spanId);
  });

  it('one span for create({ stream: true }) and for beta.messages.stream()', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a'] }), sseText({ text: ['b'] }));
    for await (const _ of await c.messages.create({ ...BASE_PARAMS, stream: true })) {
      // drain
    }
    await c.beta.messages.stream(BASE_PARAMS).finalMessage();
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test', 'chat claude-test']);
  });

  it('a client with openTelemetry: false still gets our span', async () => {
    const c = client(Anthropic, h.server, { openTelemetry: false });
    await c.messages.create(BASE_PARAMS);
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test']);
  });

  it('calls we do not trace keep the SDK span (countTokens)', async () => {
    const c = client(Anthropic, h.server);
    await c.messages.countTokens({ model: 'claude-test', messages: BASE_PARAMS.messages });
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['anthropic.messages.count_tokens']);
  });

  it.runIf(sdk.version === '1.17.0')(
    'beta tool runner: one chat span per model call, under the SDK runner span, next to its tool span',
    async () => {
      const { betaTool } = require(`${sdk.alias}/helpers/beta/json-schema`);
      const c = client(Anthropic, h.server);
      h.server.enqueue(
        {
          kind: 'json',
          body: messageBody({
            stop_reason: 'tool_use',
            content: [
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          }),
        },
        {
          kind: 'json',
          body: messageBody({ content: [{ type: 'text', text: 'Sunny in Paris' }] }),
        },
      );
      const final = await c.beta.messages.toolRunner({
        ...BASE_PARAMS,
        tools: [
          betaTool({
            name: 'get_weather',
            description: 'Weather by city',
            inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
            run: async () => 'Sunny',
          }),
        ],
      });
      expect(final.content[0].text).toBe('Sunny in Paris');
      const spans = h.t.spans();
      const chats = spans.filter((s: any) => s.name === 'chat claude-test');
      expect(chats).toHaveLength(2);
      expect(spans.some((s: any) => s.name === 'anthropic.messages.create')).toBe(false);
      expect(chats.map((s: any) => s.attributes['gen_ai.response.finish_reasons'][0])).toEqual([
        'tool_call',
        'stop',
      ]);
      const runner = spans.find((s: any) => !(s.parentSpanContext?.spanId ?? s.parentSpanId));
      for (const chat of chats)
        expect(chat.parentSpanContext?.spanId ?? chat.parentSpanId).toBe(
          runner.spanContext().spanId,
        );
    },
  );

  it('nests under the active span', async () => {
    const c = client(Anthropic, h.server);
    const tracer = h.t.tracerProvider.getTracer('app');
    await tracer.startActiveSpan('request', async (parent: any) => {
      await c.messages.create(BASE_PARAMS);
      parent.end();
    });
    const ours = h.t.spanByName('chat claude-test');
    const parent = h.t.spanByName('request');
    expect(ours.parentSpanContext?.spanId ?? ours.parentSpanId).toBe(parent.spanContext().spanId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
