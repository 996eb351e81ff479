/**
 * `model.streamEvents(input)` without a `version`: LangChain 1.2+'s chat model event protocol,
 * which LangChain runs without callbacks (so no run, and nothing for a callback handler to see).
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';
import { byName, isChildOf, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { UsageChatModel } = fixtures(require);
const { BaseCallbackHandler } = require('@langchain/core/callbacks/base');

beforeEach(() => {
  telemetry.reset();
  instrumentation.setConfig({});
});
afterAll(() => telemetry.shutdown());

const chatSpans = () => telemetry.spans().filter((s: any) => s.name.startsWith('chat '));

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
}

/** Every event the application reads, and the message it awaits. */
async function readAll(stream: any): Promise<{ events: unknown[]; message: any }> {
  const events: unknown[] = [];
  for await (const ev of stream) events.push(ev);
  return { events, message: await stream };
}

describe('BaseChatModel.streamEvents() (the event protocol, no version)', () => {
  it('one CLIENT chat span under the caller: request, usage, time to first chunk, metrics', async () => {
    const model = new UsageChatModel({ reply: 'one two three four' });
    const tracer = telemetry.tracerProvider.getTracer('app');
    const { message } = await tracer.startActiveSpan('request', async (span: any) => {
      const out = await readAll(model.streamEvents('hi'));
      span.end();
      return out;
    });
    expect(message.text).toBe('one two three four');
    await waitFor(() => chatSpans().length === 1);
    const span = byName(telemetry.spans(), 'chat fake-model-1');
    const request = byName(telemetry.spans(), 'request');
    expect(isChildOf(span, request)).toBe(true);
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'fake-model-1',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 4,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(span.attributes['genai_otel.langchain.run_id']).toMatch(/^[0-9a-f-]{36}$/);
    const metrics = await telemetry.metricsByName();
    const usage = metrics.get('gen_ai.client.token.usage');
    const output = usage.dataPoints.find(
      (p: any) => p.attributes['gen_ai.token.type'] === 'output',
    );
    expect(output.value.sum).toBe(4);
    expect(metrics.get('gen_ai.client.operation.time_to_first_chunk')).toBeDefined();
    expect(instrumentation.openRuns).toBe(0);
  });

  it('the application reads exactly the events and message it reads without us', async () => {
    const model = new UsageChatModel({ reply: 'a b c' });
    instrumentation.disable();
    let bare: Awaited<ReturnType<typeof readAll>>;
    try {
      bare = await readAll(model.streamEvents('hi'));
    } finally {
      instrumentation.enable();
    }
    expect(telemetry.spans()).toHaveLength(0);
    const traced = await readAll(model.streamEvents('hi'));
    expect(traced.events).toEqual(bare.events);
    expect(traced.message.content).toEqual(bare.message.content);
    expect(traced.message.usage_metadata).toEqual(bare.message.usage_metadata);
    await waitFor(() => chatSpans().length === 1);
    expect(chatSpans()).toHaveLength(1);
  });

  it('a stream nobody reads still ends its span when the model finishes', async () => {
    new UsageChatModel({ reply: 'x y' }).streamEvents('hi');
    await waitFor(() => chatSpans().length === 1);
    expect(chatSpans()).toHaveLength(1);
    expect(instrumentation.openRuns).toBe(0);
  });

  it('content capture: input and output messages, the run name and id from the options', async () => {
    instrumentation.setConfig({ captureContent: true });
    const runId = '0199a000-0000-7000-8000-000000000001';
    await readAll(
      new UsageChatModel({ reply: 'the answer' }).streamEvents('what is it?', {
        runName: 'answerer',
        runId,
      }),
    );
    await waitFor(() => chatSpans().length === 1);
    const [span] = chatSpans();
    expect(span.attributes['genai_otel.langchain.run_id']).toBe(runId);
    expect(JSON.parse(span.attributes['gen_ai.input.messages'])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'what is it?' }] },
    ]);
    const [out] = JSON.parse(span.attributes['gen_ai.output.messages']);
    expect(out).toMatchObject({
      role: 'assistant',
      finish_reason: 'stop',
      parts: [{ type: 'text', content: 'the answer' }],
    });
  });

  it('work inside the model (a provider SDK) nests under the chat span', async () => {
    let inner: any;
    const model = new UsageChatModel({
      inner: () => {
        // What a provider SDK's instrumentation (or an HTTP client span) sees as its parent.
        inner = trace.getActiveSpan();
      },
    });
    await readAll(model.streamEvents('hi'));
    await waitFor(() => chatSpans().length === 1);
    const [span] = chatSpans();
    expect(inner?.spanContext().spanId).toBe(span.spanContext().spanId);
  });

  it('a failing stream: ERROR span with the error; the application sees the same error', async () => {
    const model = new UsageChatModel({ reply: 'a b c', failAfterChunks: 1 });
    const err = await readAll(model.streamEvents('hi')).catch((e: unknown) => e);
    expect((err as Error).message).toBe('stream broke');
    await waitFor(() => chatSpans().length === 1);
    const [span] = chatSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(instrumentation.openRuns).toBe(0);
  });

  it('an aborted signal: cancelled, not an error', async () => {
    const controller = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const model = new UsageChatModel({ inner: () => gate });
    const stream = model.streamEvents('hi', { signal: controller.signal });
    controller.abort();
    release();
    const err = await readAll(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await waitFor(() => chatSpans().length === 1);
    const [span] = chatSpans();
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('versioned streamEvents (v2) stays one span; the application callbacks hear what they did', async () => {
    const events: string[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleChatModelStart: () => events.push('start'),
      handleLLMEnd: () => events.push('end'),
    });
    for await (const _ of new UsageChatModel().streamEvents('hi', {
      version: 'v2',
      callbacks: [handler],
    }));
    expect(chatSpans()).toHaveLength(1);
    expect(events).toEqual(['start', 'end']);
    // The event protocol runs no callbacks, with or without us.
    telemetry.reset();
    events.length = 0;
    await readAll(new UsageChatModel().streamEvents('hi', { callbacks: [handler] }));
    await waitFor(() => chatSpans().length === 1);
    expect(chatSpans()).toHaveLength(1);
    expect(events).toEqual([]);
  });
});
