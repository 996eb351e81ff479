/**
 * Log export: the GenAI content event (`EVENT_ONLY`) as an OTLP log record, from the real
 * Anthropic instrumentation and SDK (against the fake API on 127.0.0.1) to a real OTLP receiver.
 */
import { createRequire } from 'node:module';
import {
  type FakeAnthropic,
  messageBody,
  type OtlpReceiver,
  startFakeAnthropic,
  startOtlpReceiver,
} from '@genai-otel/test-utils';
import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logBatchFromEnv, logExportersFromEnv } from '../src/env.js';
import { createLogRecordProcessor } from '../src/exporters.js';
import { setupTelemetry } from '../src/index.js';
import type { OtlpProtocol, SetupTelemetryOptions, TelemetryHandle } from '../src/types.js';

const require = createRequire(import.meta.url);
const EVENT = 'gen_ai.client.inference.operation.details';
let receiver: OtlpReceiver;
let api: FakeAnthropic;
let handle: TelemetryHandle | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  api = await startFakeAnthropic();
});
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  await receiver.close();
  await api.close();
  vi.unstubAllEnvs();
});

/**
 * Set-up (EVENT_ONLY content), then the SDK loaded afterwards as an application would.
 * Returns a one-message chat call.
 */
function setUpAnthropic(options: SetupTelemetryOptions) {
  handle = setupTelemetry({
    metricExporters: [],
    instrumentations: { anthropic: true, langchain: false, llamaindex: false },
    httpInstrumentation: false,
    esmHook: false,
    captureContent: 'EVENT_ONLY',
    ...options,
  });
  const sdk = require('@anthropic-ai/sdk');
  (handle.instrumentations[0] as any).manuallyInstrument?.(sdk);
  const Anthropic = sdk.default ?? sdk.Anthropic ?? sdk;
  const client = new Anthropic({
    apiKey: 'sk-ant-never-recorded',
    baseURL: api.url,
    maxRetries: 0,
  });
  return (content: string) =>
    client.messages.create({
      model: 'claude-test',
      max_tokens: 16,
      messages: [{ role: 'user', content }],
    });
}

/** One chat call through a fresh set-up, flushed. */
async function chatCall(options: SetupTelemetryOptions) {
  const ask = setUpAnthropic(options);
  api.enqueue({ kind: 'json', body: messageBody({ model: 'claude-test' }) });
  await ask('What is OTLP?');
  await handle!.forceFlush();
}

describe.each<OtlpProtocol>(['http/protobuf', 'http/json'])(
  'OTLP log export over %s',
  (protocol) => {
    it('the content event arrives as a log record in the chat span, with structured content', async () => {
      await chatCall({
        serviceName: 'logs-svc',
        traceExporters: [{ type: 'otlp' }],
        logExporters: ['otlp'],
        otlp: { endpoint: receiver.url, protocol },
      });
      const [record] = await receiver.waitForLogs(1);
      const spans = await receiver.waitForSpans(1);
      const chat = spans.find((s) => s.name === 'chat claude-test')!;
      expect(receiver.requests.some((r) => r.path === '/v1/logs')).toBe(true);
      expect(record!.eventName).toBe(EVENT);
      expect(record!.traceId).toBe(chat.traceId);
      expect(record!.spanId).toBe(chat.spanId);
      expect(record!.scope.name).toBe('@genai-otel/instrumentation-anthropic');
      expect(record!.resource['service.name']).toBe('logs-svc');
      expect(record!.attributes['gen_ai.input.messages']).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'What is OTLP?' }] },
      ]);
      expect(record!.attributes['gen_ai.request.model']).toBe('claude-test');
      // Content is on the log record only: not on the span, as an attribute or an event.
      expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(chat.events.map((e) => e.name)).not.toContain(EVENT);
      // Never the API key.
      expect(
        JSON.stringify(receiver.logs, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).not.toContain('sk-ant-never-recorded');
    });
  },
);

describe('content events behind adaptive tail sampling', () => {
  /** A successful call, then a failing one; baseline probability 0 keeps only the failure. */
  async function twoCalls(options: SetupTelemetryOptions) {
    const ask = setUpAnthropic({
      traceExporters: [{ type: 'otlp' }],
      logExporters: ['otlp'],
      otlp: { endpoint: receiver.url, protocol: 'http/json' },
      adaptiveSampling: { minRate: 0, maxRate: 0, decisionWaitMs: 0 },
      ...options,
    });
    api.enqueue({ kind: 'json', body: messageBody({ model: 'claude-test' }) });
    await ask('fast and fine');
    api.enqueue({
      kind: 'error',
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
    });
    await expect(ask('this one fails')).rejects.toThrow();
    await handle!.forceFlush();
  }
  const asked = (r: any) => r.attributes['gen_ai.input.messages'][0].parts[0].content;

  it("only the kept trace's content is exported, in that trace", async () => {
    await twoCalls({});
    const [span] = await receiver.waitForSpans(1);
    const [record] = await receiver.waitForLogs(1);
    expect(span!.attributes['error.type']).toBeDefined();
    expect(record!.traceId).toBe(span!.traceId);
    expect(asked(record)).toBe('this one fails');
    await handle!.forceFlush();
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.logs).toHaveLength(1); // the dropped trace's prompt never left the process
  });

  it('logsFollowTraceSampling: false exports every content event', async () => {
    await twoCalls({ logsFollowTraceSampling: false });
    const records = await receiver.waitForLogs(2);
    expect(records.map(asked).sort()).toEqual(['fast and fine', 'this one fails']);
    expect(receiver.spans).toHaveLength(1);
  });

  it('GENAI_OTEL_LOGS_FOLLOW_SAMPLING=false does the same from the environment', async () => {
    vi.stubEnv('GENAI_OTEL_LOGS_FOLLOW_SAMPLING', 'false');
    await twoCalls({});
    expect(await receiver.waitForLogs(2)).toHaveLength(2);
  });
});

describe('log exporters from the standard variables', () => {
  it('OTEL_LOGS_EXPORTER, else otlp when an OTLP endpoint is set, else none', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    vi.stubEnv('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', '');
    vi.stubEnv('OTEL_LOGS_EXPORTER', '');
    expect(logExportersFromEnv()).toEqual([]);
    vi.stubEnv('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'http://127.0.0.1:4318/v1/logs');
    expect(logExportersFromEnv()).toEqual(['otlp']);
    vi.stubEnv('OTEL_LOGS_EXPORTER', 'none');
    expect(logExportersFromEnv()).toEqual([]);
    vi.stubEnv('OTEL_LOGS_EXPORTER', 'console,bogus');
    expect(logExportersFromEnv()).toEqual(['console']);
  });

  it('OTEL_BLRP_* set the log record batch queue (the logs SDK takes options only)', async () => {
    vi.stubEnv('OTEL_BLRP_SCHEDULE_DELAY', '250');
    vi.stubEnv('OTEL_BLRP_MAX_QUEUE_SIZE', '100');
    vi.stubEnv('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', '10');
    vi.stubEnv('OTEL_BLRP_EXPORT_TIMEOUT', 'soon');
    expect(logBatchFromEnv()).toEqual({
      scheduledDelayMillis: 250,
      maxQueueSize: 100,
      maxExportBatchSize: 10,
    });
    const processor = createLogRecordProcessor('otlp', { otlp: { endpoint: receiver.url } });
    expect(processor._scheduledDelayMillis).toBe(250);
    expect(processor._maxQueueSize).toBe(100);
    expect(processor._maxExportBatchSize).toBe(10);
    expect(processor._exportTimeoutMillis).toBe(30_000); // the SDK's default
    await processor.shutdown();
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT alone sends traces and content events, each to its path', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    await chatCall({});
    await receiver.waitForLogs(1);
    await receiver.waitForSpans(1);
    const paths = new Set(receiver.requests.map((r) => r.path));
    expect(paths).toEqual(new Set(['/v1/traces', '/v1/logs']));
    expect(receiver.requests.every((r) => r.encoding === 'json')).toBe(true);
  });

  it('without a log exporter the content event stays on the span', async () => {
    await chatCall({
      traceExporters: [{ type: 'otlp' }],
      logExporters: [],
      otlp: { endpoint: receiver.url },
    });
    expect(handle!.loggerProvider).toBeUndefined();
    const spans = await receiver.waitForSpans(1);
    expect(spans[0]!.events.map((e) => e.name)).toContain(EVENT);
    expect(receiver.logs).toHaveLength(0);
  });

  it('shutdown releases the global logger provider for a later set-up', async () => {
    await chatCall({
      logExporters: ['otlp'],
      traceExporters: [],
      otlp: { endpoint: receiver.url },
    });
    const registered = handle!.loggerProvider;
    expect(registered).toBeDefined();
    await handle!.shutdown();
    handle = undefined;
    await chatCall({
      logExporters: ['otlp'],
      traceExporters: [],
      otlp: { endpoint: receiver.url },
    });
    expect(handle!.loggerProvider).not.toBe(registered);
    expect(trace.getTracerProvider()).toBeDefined();
    await receiver.waitForLogs(2);
  });
});
