/**
 * A real provider class (`OpenAI` from `@llamaindex/openai`, re-exported by llamaindex 0.10,
 * with its own copy of `@llamaindex/core`) against an OpenAI-compatible server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentId } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex, drain, loadLlamaIndex, makeFakes } from './fixtures.js';
import { createHarness, one, spanId } from './setup.js';

const h = createHarness();
let server: Server;
let port: number;
const requests: any[] = [];

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello from the server' },
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 4,
    total_tokens: 16,
    prompt_tokens_details: { cached_tokens: 2 },
  },
};

function chunk(
  delta: Record<string, unknown>,
  finish: string | null,
  extra: Record<string, unknown> = {},
) {
  return {
    id: 'chatcmpl-2',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const json = JSON.parse(body || '{}');
      requests.push({ url: req.url, headers: req.headers, body: json });
      if (json.model === 'broken-model') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'bad model', type: 'invalid_request_error' } }));
        return;
      }
      if (!json.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = [
        chunk({ role: 'assistant', content: 'Hel' }, null),
        chunk({ content: 'lo' }, null),
        chunk({}, 'stop'),
        {
          ...chunk({}, null),
          choices: [],
          usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
        },
      ];
      for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
  await new Promise((resolve) => server.close(resolve));
});

describe('OpenAI provider class (llamaindex 0.10.1, @llamaindex/openai)', () => {
  let li: any;
  let llm: any;

  beforeAll(() => {
    li = loadLlamaIndex('llamaindex-0.10');
    llm = new li.OpenAI({
      apiKey: 'sk-test-secret',
      model: 'gpt-4o-mini',
      temperature: 0.3,
      maxTokens: 64,
      maxRetries: 0,
      additionalSessionOptions: { baseURL: `http://127.0.0.1:${port}/v1` },
    });
  });

  beforeEach(() => {
    h.t.reset();
    requests.length = 0;
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: false });
  });

  it('chat: provider, server, params, usage and finish reasons from the real response', async () => {
    // Reached through a traced component (a synthesizer), as applications do.
    const fakes = makeFakes(li);
    const index = await buildIndex(li, fakes);
    const engine = index.asQueryEngine({
      responseSynthesizer: li.getResponseSynthesizer('compact', { llm }),
    } as any);
    h.t.reset();
    const response = await engine.query({ query: 'Say hello' });
    expect(String(response)).toBe('Hello from the server');
    expect(requests).toHaveLength(1);
    const spans = h.t.spans();
    const s = one(spans, 'chat gpt-4o-mini');
    expect(parentId(s)).toBe(spanId(one(spans, 'synthesize')));
    expect(s.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.max_tokens': 64,
      'server.address': '127.0.0.1',
      'server.port': port,
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': 2,
    });
    expect(s.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    // The API key is never recorded.
    expect(JSON.stringify(spans.map((x: any) => x.attributes))).not.toContain('sk-test-secret');
  });

  it('streaming chat: time to first chunk and usage from the final usage chunk', async () => {
    const stream = await llm.chat({
      messages: [{ role: 'user', content: 'Stream hello' }],
      stream: true,
    });
    expect(await drain(stream)).toBe('Hello');
    const s = one(h.t.spans(), 'chat gpt-4o-mini');
    expect(s.attributes['gen_ai.request.stream']).toBe(true);
    expect(typeof s.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(s.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    // Our server sends the usage chunk even unasked; the raw chunks carry it through.
    expect(s.attributes['gen_ai.usage.input_tokens']).toBe(9);
    expect(s.attributes['gen_ai.usage.output_tokens']).toBe(2);
    expect(s.attributes['gen_ai.response.id']).toBe('chatcmpl-2');
  });

  it('API errors: the error reaches the caller and the span records its type', async () => {
    const broken = new li.OpenAI({
      apiKey: 'sk-test',
      model: 'broken-model',
      maxRetries: 0,
      additionalSessionOptions: { baseURL: `http://127.0.0.1:${port}/v1` },
    });
    h.instrumentor.manuallyInstrument(broken);
    let caught: unknown;
    try {
      await broken.chat({ messages: [{ role: 'user', content: 'x' }] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    const s = one(h.t.spans(), 'chat broken-model');
    expect(s.status.code).toBe(2);
    expect(s.attributes['error.type']).toBe('invalid_request_error');
  });
});
