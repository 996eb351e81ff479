/**
 * The real `@llamaindex/anthropic` LLM class (which pins its own `@llamaindex/core` 0.6.23 and
 * `@anthropic-ai/sdk` 0.58) in a llamaindex 0.12.1 pipeline (core 0.6.22), against a
 * Messages API server on 127.0.0.1, together with @genai-otel/instrumentation-anthropic:
 * the SDK span nests under our LLM span and usage is counted once.
 */

import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { parentId } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex, drain, loadLlamaIndex, makeFakes } from './fixtures.js';
import { byName, createHarness, one, spanId } from './setup.js';

const require = createRequire(import.meta.url);
const h = createHarness();
// Created before @llamaindex/anthropic (and its SDK copy) is required below.
const anthropicInstrumentor = new AnthropicInstrumentor();
anthropicInstrumentor.setTracerProvider(h.t.tracerProvider);
anthropicInstrumentor.setMeterProvider(h.t.meterProvider);

let server: Server;
let port: number;

const MODEL = 'claude-3-5-sonnet-20241022';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const json = JSON.parse(body || '{}');
      if (!json.stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_1' });
        res.end(
          JSON.stringify({
            id: 'msg_01',
            type: 'message',
            role: 'assistant',
            model: MODEL,
            content: [{ type: 'text', text: 'Hi from Claude' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: {
              input_tokens: 10,
              output_tokens: 3,
              cache_read_input_tokens: 4,
              cache_creation_input_tokens: 0,
            },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (type: string, data: Record<string, unknown>) =>
        res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      send('message_start', {
        message: {
          id: 'msg_02',
          type: 'message',
          role: 'assistant',
          model: MODEL,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      });
      send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi ' } });
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'there' } });
      send('content_block_stop', { index: 0 });
      send('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 5 },
      });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  h.instrumentor.uninstrument();
  anthropicInstrumentor.disable();
  await h.t.shutdown();
  await new Promise((resolve) => server.close(resolve));
});

describe('@llamaindex/anthropic with @genai-otel/instrumentation-anthropic', () => {
  let li: any;
  let llm: any;
  let index: any;

  beforeAll(async () => {
    li = loadLlamaIndex('llamaindex');
    const provider = require('@llamaindex/anthropic');
    llm = new provider.Anthropic({
      model: MODEL,
      temperature: 0.1,
      maxTokens: 128,
      session: new provider.AnthropicSession({
        apiKey: 'sk-ant-test',
        baseURL: `http://127.0.0.1:${port}`,
        maxRetries: 0,
      }),
    });
    index = await buildIndex(li, makeFakes(li));
  });

  beforeEach(() => h.t.reset());

  it('query: our chat span is the parent of the SDK span, which alone records usage', async () => {
    const engine = index.asQueryEngine({
      responseSynthesizer: li.getResponseSynthesizer('compact', { llm }),
    } as any);
    const response = await engine.query({ query: 'Say hi' });
    expect(String(response)).toBe('Hi from Claude');
    const spans = h.t.spans();
    const chats = byName(spans, `chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    const ours = chats.find((s: any) => s.attributes['genai_otel.framework'] === 'llamaindex');
    const sdk = chats.find((s: any) => s !== ours);
    expect(parentId(ours)).toBe(spanId(one(spans, 'synthesize')));
    expect(parentId(sdk)).toBe(spanId(ours));
    expect(ours.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': MODEL,
      'gen_ai.request.temperature': 0.1,
      'gen_ai.request.max_tokens': 128,
      'genai_otel.usage.recorded_by_child': true,
    });
    expect(ours.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(sdk.attributes['gen_ai.usage.input_tokens']).toBe(14);
    // Token metrics count the call once.
    const tokens = (await h.t.metricsByName()).get('gen_ai.client.token.usage');
    const input = tokens.dataPoints.filter(
      (p: any) => p.attributes['gen_ai.token.type'] === 'input',
    );
    expect(input.reduce((n: number, p: any) => n + p.value.sum, 0)).toBe(14);
  });

  it('streaming: the SDK span nests under our span while the stream is read', async () => {
    const stream = await llm.chat({
      messages: [{ role: 'user', content: 'Stream hi' }],
      stream: true,
    });
    expect(await drain(stream)).toBe('Hi there');
    const chats = byName(h.t.spans(), `chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    const ours = chats.find((s: any) => s.attributes['genai_otel.framework'] === 'llamaindex');
    const sdk = chats.find((s: any) => s !== ours);
    expect(parentId(sdk)).toBe(spanId(ours));
    expect(typeof ours.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(ours.attributes['gen_ai.request.stream']).toBe(true);
  });
});
