import { describe, expect, it } from 'vitest';
import {
  inputMessages,
  outputMessage,
  requestDetails,
  serverOf,
  systemInstructions,
  toolDefinitions,
  usageExtras,
  usageOf,
} from '../src/convert.js';
import { anthropicErrorType, isCancellation } from '../src/errors.js';
import { MessageAccumulator } from '../src/stream.js';

describe('conversions to the GenAI conventions', () => {
  it('server address and port from the base URL', () => {
    expect(serverOf('https://api.anthropic.com')).toEqual({
      serverAddress: 'api.anthropic.com',
      serverPort: 443,
    });
    expect(serverOf('http://[::1]:8080/v1')).toEqual({ serverAddress: '::1', serverPort: 8080 });
    expect(serverOf('not a url')).toEqual({});
    expect(serverOf(undefined)).toEqual({});
  });

  it('request details ignore values of the wrong type', () => {
    expect(
      requestDetails({ model: 7, max_tokens: '5', temperature: 0.5, stop_sequences: ['a', 3] }),
    ).toEqual({
      model: undefined,
      maxTokens: undefined,
      temperature: 0.5,
      topP: undefined,
      topK: undefined,
      stopSequences: ['a'],
      stream: false,
    });
  });

  it('usage: null cache fields (as the API sends them) are not counted', () => {
    expect(
      usageOf({
        input_tokens: 5,
        output_tokens: 2,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
      }),
    ).toEqual({ inputTokens: 5, outputTokens: 2 });
    expect(usageOf({ input_tokens: 1, output_tokens_details: { thinking_tokens: 40 } })).toEqual({
      inputTokens: 1,
      reasoningOutputTokens: 40,
    });
    expect(usageOf('junk')).toBeUndefined();
    expect(
      usageExtras({
        server_tool_use: { web_search_requests: 2, 'bad key!': 1 },
        service_tier: 'standard',
      }),
    ).toEqual({
      'anthropic.usage.server_tool_use.web_search_requests': 2,
      'anthropic.response.service_tier': 'standard',
    });
  });

  it('input messages: images, documents, mixed tool results, redacted thinking, server tools', () => {
    const big = 'A'.repeat(5000);
    const msgs = inputMessages([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: big } },
          { type: 'image', source: { type: 'url', url: 'https://example.test/cat.png' } },
          {
            type: 'document',
            source: { type: 'text', media_type: 'text/plain', data: 'doc text' },
          },
          { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] },
          { type: 'text', text: 'and also' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'server_tool_use', id: 's1', name: 'web_search', input: { query: 'x' } },
          { type: 'web_search_tool_result', tool_use_id: 's1', content: [] },
        ],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't2', content: 'fail', is_error: true }],
      },
    ]);
    const [user, assistant, tool] = msgs;
    expect(user.role).toBe('user');
    const blob = user.parts[0] as any;
    expect(blob.type).toBe('blob');
    expect(blob.modality).toBe('image');
    expect(blob.mime_type).toBe('image/png');
    expect(blob.content.length).toBeLessThan(400);
    expect(user.parts[1]).toEqual({
      type: 'uri',
      modality: 'image',
      uri: 'https://example.test/cat.png',
    });
    expect(user.parts[2]).toEqual({ type: 'text', content: 'doc text' });
    expect(user.parts[3]).toEqual({ type: 'tool_call_response', id: 't1', response: 'ok' });
    expect(assistant.parts).toEqual([
      { type: 'reasoning', content: '', redacted: true },
      {
        type: 'server_tool_call',
        id: 's1',
        name: 'web_search',
        server_tool_call: { type: 'server_tool_use', arguments: { query: 'x' } },
      },
      {
        type: 'server_tool_call_response',
        id: 's1',
        server_tool_call_response: { type: 'web_search_tool_result', content: [] },
      },
    ]);
    expect(tool).toEqual({
      role: 'tool',
      parts: [{ type: 'tool_call_response', id: 't2', response: 'fail', is_error: true }],
    });
    expect(inputMessages('junk')).toEqual([]);
  });

  it('system instructions and tool definitions (custom and server tools)', () => {
    expect(systemInstructions('be brief')).toEqual([{ type: 'text', content: 'be brief' }]);
    expect(systemInstructions(undefined)).toBeUndefined();
    expect(
      toolDefinitions([
        { name: 'f', input_schema: { type: 'object' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ]),
    ).toEqual([
      { type: 'function', name: 'f', parameters: { type: 'object' } },
      { type: 'web_search_20250305', name: 'web_search' },
    ]);
    expect(outputMessage([{ type: 'text', text: 'x' }], undefined).finish_reason).toBe('error');
  });

  it('error types', () => {
    expect(
      anthropicErrorType({
        status: 529,
        error: { type: 'error', error: { type: 'overloaded_error' } },
      }),
    ).toBe('overloaded_error');
    expect(anthropicErrorType({ status: 503, error: 'text' })).toBe('503');
    class APIConnectionTimeoutError extends Error {}
    expect(anthropicErrorType(new APIConnectionTimeoutError('t'))).toBe(
      'APIConnectionTimeoutError',
    );
    expect(anthropicErrorType(new Error('x'))).toBe('_OTHER');
    expect(anthropicErrorType(null)).toBe('_OTHER');
    class APIUserAbortError extends Error {}
    expect(isCancellation(new APIUserAbortError())).toBe(true);
    expect(isCancellation(Object.assign(new Error('a'), { name: 'AbortError' }))).toBe(true);
    expect(isCancellation(new Error('x'))).toBe(false);
  });
});

describe('MessageAccumulator', () => {
  it('caps accumulated text at the content length limit', () => {
    const acc = new MessageAccumulator(true, 10);
    acc.add({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (let i = 0; i < 100; i++)
      acc.add({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'abcdef' },
      });
    expect((acc.content()[0] as any).text).toHaveLength(10);
  });

  it('keeps unfinished tool input as raw text, ignores junk events', () => {
    const acc = new MessageAccumulator(true);
    expect(acc.add(null)).toBe(false);
    expect(acc.add({ type: 'unknown_future_event' })).toBe(false);
    acc.add({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 't', name: 'n', input: {} },
    });
    expect(
      acc.add({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"a":' },
      }),
    ).toBe(true);
    expect((acc.content()[0] as any).input).toBe('{"a":');
  });

  it('records nothing of the content when content capture is off', () => {
    const acc = new MessageAccumulator(false);
    acc.add({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    acc.add({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'secret' },
    });
    expect(acc.content()).toEqual([]);
    expect(acc.sawDelta).toBe(true);
  });
});
