import { messageBody, sseMessage, sseText } from '@genai-otel/test-utils';
import { SpanStatusCode } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_PARAMS, client, gate, loadSdk, SDKS, sleep, useHarness } from './helpers.js';

// Shared lifecycle; after every test, no span may carry the API key.
const h = useHarness();

const chatSpans = () => h.t.spans().filter((s: any) => s.name.startsWith('chat '));

describe.each(SDKS)('@anthropic-ai/sdk $version errors', (sdk) => {
  let Anthropic: any;
  beforeAll(() => {
    Anthropic = loadSdk(sdk.alias);
  });

  it.each([
    [400, 'invalid_request_error', 'BadRequestError'],
    [401, 'authentication_error', 'AuthenticationError'],
    [429, 'rate_limit_error', 'RateLimitError'],
    [500, 'api_error', 'InternalServerError'],
    [529, 'overloaded_error', 'InternalServerError'],
  ])('HTTP %i -> status ERROR, error.type %s, same SDK error thrown', async (status, type, cls) => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({ kind: 'error', status, type, message: `boom ${status}` });
    const err = await c.messages.create(BASE_PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic[cls]);
    expect(err.status).toBe(status);
    const spans = chatSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe(type);
    expect(span.attributes['http.response.status_code']).toBe(status);
    expect(span.attributes['anthropic.request.id']).toBe('req_fake_0001_1');
    expect(span.events.some((e: any) => e.name === 'exception')).toBe(true);
    const metrics = await h.t.metricsByName();
    const points = metrics.get('gen_ai.client.operation.duration').dataPoints;
    expect(points.some((p: any) => p.attributes['error.type'] === type)).toBe(true);
  });

  it('messages.stream() helper with an API error: one ERROR span, the helper rejects as usual', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({ kind: 'error', status: 529, type: 'overloaded_error' });
    const ms = c.messages.stream(BASE_PARAMS);
    const errors: unknown[] = [];
    ms.on('error', (e: unknown) => errors.push(e));
    const err = await ms.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(errors).toHaveLength(1);
    const spans = h.t.spans();
    expect(spans.map((s: any) => s.name)).toEqual(['chat claude-test']);
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[0].attributes['error.type']).toBe('overloaded_error');
  });

  it('uses the HTTP status as error.type when the body is not an API error', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({ kind: 'error', status: 502, message: 'bad gateway' });
    await expect(c.messages.create(BASE_PARAMS)).rejects.toThrow();
    expect(chatSpans()[0].attributes['error.type']).toBe('502');
  });

  it('retries stay inside one span, with http.request.resend_count', async () => {
    const c = client(Anthropic, h.server, { maxRetries: 2 });
    h.server.enqueue(
      { kind: 'error', status: 529, type: 'overloaded_error' },
      { kind: 'error', status: 429, type: 'rate_limit_error' },
      { kind: 'json', body: messageBody() },
    );
    const msg = await c.messages.create(BASE_PARAMS);
    expect(msg.id).toBe('msg_fake_01');
    expect(h.server.requests).toHaveLength(3);
    const spans = chatSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[0].attributes['http.request.resend_count']).toBe(2);
    expect(spans[0].attributes['gen_ai.usage.output_tokens']).toBe(5);
  });

  it('retries exhausted: one ERROR span with the last error and the resend count', async () => {
    const c = client(Anthropic, h.server, { maxRetries: 1 });
    h.server.enqueue(
      { kind: 'error', status: 529, type: 'overloaded_error' },
      { kind: 'error', status: 529, type: 'overloaded_error' },
    );
    await expect(c.messages.create(BASE_PARAMS)).rejects.toThrow();
    const spans = chatSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['error.type']).toBe('overloaded_error');
    expect(spans[0].attributes['http.request.resend_count']).toBe(1);
  });

  it.runIf(sdk.modern)(
    'connection dropped while the body is read: one span; resent where the SDK resends it',
    async () => {
      const c = client(Anthropic, h.server, { maxRetries: 2 });
      h.server.enqueue(
        { kind: 'json', body: messageBody(), truncateAfterBytes: 20 },
        { kind: 'json', body: messageBody() },
      );
      const result = await c.messages.create(BASE_PARAMS).then(
        (m: any) => ({ ok: true as const, m }),
        (e: any) => ({ ok: false as const, e }),
      );
      const spans = chatSpans();
      expect(spans).toHaveLength(1);
      const [span] = spans;
      if (h.server.requests.length === 2) {
        // SDK >= 1.17 resends the request (within maxRetries) and returns the second answer.
        expect(result.ok).toBe(true);
        expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
        expect(span.attributes['http.request.resend_count']).toBe(1);
        expect(span.attributes['gen_ai.usage.output_tokens']).toBe(5);
        expect(span.attributes['anthropic.request.id']).toBe('req_fake_0001_2');
      } else {
        // Older SDKs fail the call with the runtime's error: the span carries that error.
        expect(sdk.version).not.toBe('1.17.0');
        expect(result.ok).toBe(false);
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.attributes['error.type']).toBe(
          (result as { e: Error }).e.constructor?.name ?? 'Error',
        );
        expect(span.attributes['http.request.resend_count']).toBeUndefined();
      }
    },
  );

  it.runIf(sdk.version === '1.17.0').each([
    ['cut off again', { kind: 'json', body: messageBody(), truncateAfterBytes: 20 }],
    ['not answered', { kind: 'reset' }],
  ] as const)(
    'a resent request that fails too (%s): one ERROR span, ended when the caller sees the error',
    async (_name, second) => {
      const c = client(Anthropic, h.server, { maxRetries: 1 });
      h.server.enqueue({ kind: 'json', body: messageBody(), truncateAfterBytes: 20 }, second);
      const err = await c.messages.create(BASE_PARAMS).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.APIConnectionError);
      expect(h.server.requests).toHaveLength(2);
      const spans = chatSpans();
      expect(spans).toHaveLength(1);
      const [span] = spans;
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('APIConnectionError');
      expect(span.attributes['http.request.resend_count']).toBe(1);
    },
  );

  it('connection error -> APIConnectionError', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({ kind: 'reset' });
    const err = await c.messages.create(BASE_PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionError);
    const [span] = chatSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('APIConnectionError');
  });

  it('client timeout -> APIConnectionTimeoutError', async () => {
    const c = client(Anthropic, h.server, { timeout: 200 });
    h.server.enqueue({ kind: 'hang' });
    const err = await c.messages.create(BASE_PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const [span] = chatSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('APIConnectionTimeoutError');
  });

  it('an aborted request is a cancellation, not an error', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const p = c.messages.create(BASE_PARAMS, { signal: controller.signal });
    // Abort once the request reached the server.
    while (h.server.requests.length === 0) await sleep(5);
    controller.abort();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIUserAbortError);
    const [span] = chatSpans();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
  });

  it('connection reset mid-stream: the consumer sees the error, the span is ERROR with partial usage', async () => {
    const c = client(Anthropic, h.server);
    const reply = sseText({ text: ['a', 'b', 'c', 'd', 'e'] });
    h.server.enqueue({ ...(reply as any), resetAfter: 4 });
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of stream) seen.push(ev.type);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(seen).toContain('message_start');
    const spans = chatSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[0].attributes['error.type']).toBeTruthy();
    expect(spans[0].attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(spans[0].attributes['gen_ai.response.id']).toBe('msg_fake_stream');
  });

  it('an error event inside the stream -> ERROR with the API error type', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(
      sseMessage({
        blocks: [{ type: 'text', text: ['partial'] }],
        errorEvent: { type: 'overloaded_error', message: 'Overloaded' },
        truncate: true,
      }),
    );
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow();
    const [span] = chatSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // SDKs before 0.50 turn an in-stream error into an APIConnectionError (no status).
    expect(span.attributes['error.type']).toBe(
      sdk.modern ? 'overloaded_error' : 'APIConnectionError',
    );
  });

  it('a stream that ends without message_stop is marked incomplete', async () => {
    const c = client(Anthropic, h.server);
    h.server.enqueue(sseMessage({ blocks: [{ type: 'text', text: ['cut'] }], truncate: true }));
    const stream = await c.messages.create({ ...BASE_PARAMS, stream: true });
    for await (const _ of stream) {
      // drain: the SDK ends quietly
    }
    const [span] = chatSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('incomplete_stream');
  });

  it('slow first byte: time to first chunk covers the wait', async () => {
    const c = client(Anthropic, h.server);
    const g = gate();
    h.server.enqueue({ ...(sseText({ text: ['late'] }) as any), firstByteGate: g.promise });
    const pending = c.messages.create({ ...BASE_PARAMS, stream: true });
    await sleep(150);
    g.open();
    for await (const _ of await pending) {
      // drain
    }
    const [span] = chatSpans();
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0.14);
    const metrics = await h.t.metricsByName();
    const ttfc = metrics.get('gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc.dataPoints.some((p: any) => p.value.max >= 0.14)).toBe(true);
  });

  it('a synchronous throw from create() is recorded and rethrown unchanged', async () => {
    const c = client(Anthropic, h.server);
    const boom = new Error('bad options');
    const options = {
      get headers(): never {
        throw boom;
      },
    };
    let thrown: unknown;
    try {
      await c.messages.create(BASE_PARAMS, options);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(boom);
    const spans = chatSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
  });
});
