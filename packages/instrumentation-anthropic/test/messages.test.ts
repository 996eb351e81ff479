import { messageBody, sseMessage, sseText } from '@genai-otel/test-utils';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  BASE_PARAMS,
  client,
  installedVersion,
  loadSdk,
  SDKS,
  spanStrings,
  useHarness,
} from './helpers.js';

// Shared lifecycle; after every test, no span may carry the API key.
const h = useHarness();

const chatSpans = () => h.t.spans().filter((s: any) => s.name.startsWith('chat '));

describe.each(SDKS)('@anthropic-ai/sdk $version (messages.create)', (sdk) => {
  let Anthropic: any;
  beforeAll(() => {
    Anthropic = loadSdk(sdk.alias);
    expect(installedVersion(sdk.alias)).toBe(sdk.version);
  });

  it('records one chat CLIENT span with request, response, usage and server attributes', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({
      kind: 'json',
      body: messageBody({ id: 'msg_1', model: 'claude-test-20260101', stop_reason: 'end_turn' }),
    });
    const message = await c.messages.create({
      ...BASE_PARAMS,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      system: 'You are terse.',
    });
    expect(message.content[0].text).toBe('Hello there');
    expect(message.id).toBe('msg_1');

    expect(h.t.spans()).toHaveLength(1);
    const [span] = h.t.spans();
    expect(span.name).toBe('chat claude-test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-test',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.stream': false,
      'server.address': '127.0.0.1',
      'server.port': h.server.port,
      'gen_ai.response.id': 'msg_1',
      'gen_ai.response.model': 'claude-test-20260101',
      'gen_ai.response.finish_reasons': ['stop'],
      'anthropic.message.stop_reason': 'end_turn',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'http.response.status_code': 200,
      'anthropic.request.id': 'req_fake_0001_1',
      'genai_otel.framework': 'anthropic',
      'genai_otel.span.kind': 'LLM',
    });
    // Content is opt-in.
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.system_instructions']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeUndefined();

    const metrics = await h.t.metricsByName();
    const duration = metrics.get('gen_ai.client.operation.duration');
    expect(duration.dataPoints.length).toBeGreaterThan(0);
    const tokens = metrics.get('gen_ai.client.token.usage');
    const byType = Object.fromEntries(
      tokens.dataPoints
        .filter((p: any) => p.attributes['gen_ai.request.model'] === 'claude-test')
        .map((p: any) => [p.attributes['gen_ai.token.type'], p.value.sum]),
    );
    expect(byType.input).toBeGreaterThanOrEqual(10);
    expect(byType.output).toBeGreaterThanOrEqual(5);
  });

  it('counts cache reads and writes in input tokens, as the conventions define for Anthropic', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({
      kind: 'json',
      body: messageBody({
        usage: {
          input_tokens: 3,
          output_tokens: 9,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 20,
          cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 0 },
        },
      }),
    });
    await c.messages.create(BASE_PARAMS);
    const [span] = h.t.spans();
    expect(span.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 123,
      'gen_ai.usage.output_tokens': 9,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 20,
      'anthropic.usage.cache_creation.ephemeral_5m_input_tokens': 20,
    });
  });

  it('maps stop reasons to the conventions finish reasons', async () => {
    const c = client(Anthropic, h.server);
    const cases: Array<[string, string]> = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['tool_use', 'tool_call'],
      ['refusal', 'content_filter'],
    ];
    for (const [raw] of cases)
      h.server.enqueue({ kind: 'json', body: messageBody({ stop_reason: raw }) });
    for (const _ of cases) await c.messages.create(BASE_PARAMS);
    const spans = h.t.spans();
    expect(spans.map((s: any) => s.attributes['gen_ai.response.finish_reasons'][0])).toEqual(
      cases.map(([, mapped]) => mapped),
    );
    expect(spans.map((s: any) => s.attributes['anthropic.message.stop_reason'])).toEqual(
      cases.map(([raw]) => raw),
    );
  });

  it('captures messages, system instructions, tools, tool calls and thinking when opted in', async () => {
    h.inst.setConfig({ captureContent: true });
    const c = client(Anthropic, h.server);
    h.server.enqueue({
      kind: 'json',
      body: messageBody({
        stop_reason: 'tool_use',
        content: [
          { type: 'thinking', thinking: 'Need the weather tool.', signature: 'sig' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
      }),
    });
    await c.messages.create({
      ...BASE_PARAMS,
      system: [{ type: 'text', text: 'You are a weather bot.' }],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather by city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_0', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: 'Sunny' }],
        },
      ],
    });
    const [span] = h.t.spans();
    expect(JSON.parse(span.attributes['gen_ai.system_instructions'])).toEqual([
      { type: 'text', content: 'You are a weather bot.' },
    ]);
    expect(JSON.parse(span.attributes['gen_ai.input.messages'])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: 'toolu_0', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'toolu_0', response: 'Sunny' }] },
    ]);
    expect(JSON.parse(span.attributes['gen_ai.tool.definitions'])).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather by city',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(JSON.parse(span.attributes['gen_ai.output.messages'])).toEqual([
      {
        role: 'assistant',
        finish_reason: 'tool_call',
        parts: [
          { type: 'reasoning', content: 'Need the weather tool.' },
          { type: 'text', content: 'Checking.' },
          { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } },
        ],
      },
    ]);
  });

  it('keeps APIPromise helpers working: withResponse() and asResponse()', async () => {
    const c = client(Anthropic, h.server);
    const p = c.messages.create(BASE_PARAMS);
    expect(p.constructor.name).toBe('APIPromise');
    expect(typeof p.withResponse).toBe('function');
    const { data, response } = await p.withResponse();
    expect(data.id).toBe('msg_fake_01');
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toBe('req_fake_0001_1');
    expect(h.t.spans()).toHaveLength(1);
    expect(h.t.spans()[0].attributes['gen_ai.usage.output_tokens']).toBe(5);

    h.t.reset();
    const raw = await c.messages.create(BASE_PARAMS).asResponse();
    // The application reads the body itself: we must not have consumed it.
    const body = await raw.json();
    expect(body.type).toBe('message');
    const spans = h.t.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['http.response.status_code']).toBe(200);
  });

  it('streams (stream: true): same Stream object, full attributes, time to first chunk, one span', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(
      sseText({
        text: ['Hel', 'lo'],
        usage: { input_tokens: 4, cache_read_input_tokens: 6, output_tokens: 1 },
        finalUsage: { output_tokens: 12 },
      }),
    );
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    expect(stream.constructor.name).toBe('Stream');
    expect(stream.controller).toBeInstanceOf(AbortController);
    const types: string[] = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta') text += ev.delta.text;
    }
    expect(text).toBe('Hello');
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(chatSpans()).toHaveLength(1);
    const [span] = h.t.spans();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'msg_fake_stream',
      'gen_ai.response.model': 'claude-test',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.cache_read.input_tokens': 6,
      'gen_ai.usage.output_tokens': 12,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    const metrics = await h.t.metricsByName();
    expect(metrics.get('gen_ai.client.operation.time_to_first_chunk')).toBeDefined();
  });

  it('accumulates tool input JSON deltas and thinking deltas into the output message', async () => {
    h.inst.setConfig({ captureContent: true });
    const c = client(Anthropic, h.server);
    h.server.enqueue(
      sseMessage({
        blocks: [
          { type: 'thinking', thinking: ['Let me ', 'think.'] },
          { type: 'text', text: ['Calling tool.'] },
          { type: 'tool_use', id: 'toolu_9', name: 'lookup', json: ['{"q": "o', 'tel", "n": 2}'] },
        ],
        stop_reason: 'tool_use',
      }),
    );
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    for await (const _ of stream) {
      // drain
    }
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
    expect(JSON.parse(span.attributes['gen_ai.output.messages'])).toEqual([
      {
        role: 'assistant',
        finish_reason: 'tool_call',
        parts: [
          { type: 'reasoning', content: 'Let me think.' },
          { type: 'text', content: 'Calling tool.' },
          { type: 'tool_call', id: 'toolu_9', name: 'lookup', arguments: { q: 'otel', n: 2 } },
        ],
      },
    ]);
  });

  it('keeps tee() working and ends the span once', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b', 'c'] }));
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    const [left, right] = stream.tee();
    const read = async (s: any) => {
      const out: string[] = [];
      for await (const ev of s) out.push(ev.type);
      return out;
    };
    const [l, r] = await Promise.all([read(left), read(right)]);
    expect(l).toEqual(r);
    expect(l.at(-1)).toBe('message_stop');
    expect(chatSpans()).toHaveLength(1);
    expect(chatSpans()[0].attributes['gen_ai.usage.output_tokens']).toBe(7);
  });

  it('keeps toReadableStream() working', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b'] }));
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    const reader = stream.toReadableStream().getReader();
    let body = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      body += new TextDecoder().decode(r.value);
    expect(
      body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type)
        .at(-1),
    ).toBe('message_stop');
    expect(chatSpans()).toHaveLength(1);
    expect(chatSpans()[0].attributes['gen_ai.usage.output_tokens']).toBe(7);
  });

  it('ends the span (cancelled, not an error) when the consumer breaks out early', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b', 'c', 'd'] }));
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    for await (const ev of stream) {
      if (ev.type === 'content_block_delta') break;
    }
    expect(chatSpans()).toHaveLength(1);
    const [span] = chatSpans();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(10);
    // The output count of message_start is a placeholder: not recorded.
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
  });

  it('ends the span when the application aborts the stream controller', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['a', 'b', 'c', 'd'] }));
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    const seen: string[] = [];
    for await (const ev of stream) {
      seen.push(ev.type);
      if (ev.type === 'content_block_start') stream.controller.abort();
    }
    expect(chatSpans()).toHaveLength(1);
    const [span] = chatSpans();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
  });

  it('messages.stream() helper: events and finalMessage() keep working, one span', async () => {
    h.inst.setConfig({ captureContent: true });
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseText({ text: ['Hi', ' you'] }));
    const ms = c.messages.stream(BASE_PARAMS);
    const texts: string[] = [];
    ms.on('text', (t: string) => texts.push(t));
    const final = await ms.finalMessage();
    expect(texts).toEqual(['Hi', ' you']);
    expect(final.content[0].text).toBe('Hi you');
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test']);
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(7);
    expect(JSON.parse(span.attributes['gen_ai.output.messages'])[0].parts).toEqual([
      { type: 'text', content: 'Hi you' },
    ]);
  });

  it('beta.messages.create and beta.messages.stream are traced the same way', async () => {
    const c = client(Anthropic, h.server);
    await c.beta.messages.create({ ...BASE_PARAMS, betas: ['some-beta-2026'] });
    h.server.enqueue(sseText({ text: ['x'] }));
    if (typeof c.beta.messages.stream === 'function') {
      await c.beta.messages.stream(BASE_PARAMS).finalMessage();
    } else {
      // 0.30: no beta stream helper
      for await (const _ of await c.beta.messages.create({ ...BASE_PARAMS, stream: true })) {
        // drain
      }
    }
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test', 'chat claude-test']);
    expect(h.server.requests.map((r) => r.path)).toEqual(['/v1/messages', '/v1/messages']);
    expect(h.t.spans()[1].attributes['gen_ai.request.stream']).toBe(true);
    expect(h.t.spans()[0].attributes['anthropic.beta']).toEqual(['some-beta-2026']);
  });

  it.runIf(sdk.completions)('legacy completions.create is a text_completion span', async () => {
    const c = client(Anthropic, h.server);
    const r = await c.completions.create({
      model: 'claude-2.1',
      max_tokens_to_sample: 50,
      prompt: '\n\nHuman: hi\n\nAssistant:',
    });
    expect(r.completion).toBe('Hello there');
    const [span] = h.t.spans();
    expect(span.name).toBe('text_completion claude-2.1');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });

  it.runIf(sdk.completions)(
    'legacy streamed completion: text accumulated, stop reason mapped',
    async () => {
      h.inst.setConfig({ captureContent: true });
      const c = client(Anthropic, h.server);
      let text = '';
      const stream = await c.completions.create({
        model: 'claude-2.1',
        max_tokens_to_sample: 50,
        prompt: '\n\nHuman: hi\n\nAssistant:',
        stream: true,
      });
      for await (const ev of stream) text += ev.completion;
      expect(text).toBe('Hello there');
      const [span] = h.t.spans();
      expect(span.name).toBe('text_completion claude-2.1');
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
      expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(span.attributes['gen_ai.output.messages'])[0].parts).toEqual([
        { type: 'text', content: 'Hello there' },
      ]);
    },
  );

  it('messages.parse() is one chat span and returns the parsed message', async () => {
    const c = client(Anthropic, h.server);
    if (typeof c.messages.parse !== 'function') return;
    const parsed = await c.messages.parse(BASE_PARAMS);
    expect(parsed.id).toBe('msg_fake_01');
    expect(h.t.spans().map((s: any) => s.name)).toEqual(['chat claude-test']);
  });

  it('countTokens gets no chat span', async () => {
    const c = client(Anthropic, h.server);
    if (typeof c.messages.countTokens !== 'function') return; // not in 0.30
    const r = await c.messages.countTokens({
      model: 'claude-test',
      messages: BASE_PARAMS.messages,
    });
    expect(r.input_tokens).toBe(12);
    expect(chatSpans()).toHaveLength(0);
  });

  it('never records the API key or request headers', async () => {
    h.inst.setConfig({ captureContent: 'SPAN_AND_EVENT' });
    const c = client(Anthropic, h.server, { defaultHeaders: { 'x-custom-secret': API_KEY } });
    await c.messages.create(BASE_PARAMS);
    h.server.enqueue(sseText({ text: ['a'] }));
    for await (const _ of await c.messages.create({ ...BASE_PARAMS, stream: true })) {
      // drain
    }
    h.server.enqueue({
      kind: 'error',
      status: 401,
      type: 'authentication_error',
      message: 'invalid x-api-key',
    });
    await expect(c.messages.create(BASE_PARAMS)).rejects.toThrow();
    // The key went over the wire (x-api-key, or a bearer token in 1.x)...
    const sent = h.server.requests[0].headers;
    expect(String(sent['x-api-key'] ?? sent.authorization)).toContain(API_KEY);
    const spans = h.t.spans();
    expect(spans.length).toBeGreaterThanOrEqual(3);
    for (const span of spans) {
      for (const key of Object.keys(span.attributes)) {
        expect(key).not.toMatch(/header|api[-_]?key|authorization/i);
      }
      const strings = spanStrings(span);
      for (const s of strings) expect(s).not.toContain(API_KEY);
    }
  });
});
