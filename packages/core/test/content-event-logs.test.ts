/**
 * The `gen_ai.client.inference.operation.details` content event as a log record (EVENT_ONLY /
 * SPAN_AND_EVENT with a LoggerProvider), through a real logs SDK on either OpenTelemetry line.
 */
import {
  createTestLogs,
  createTestTelemetry,
  setGlobalLoggerProvider,
  type TestLogs,
  type TestTelemetry,
} from '@genai-otel/test-utils';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GenAIInstrumentationBase,
  type GenAIInstrumentationConfig,
  GenAITelemetry,
  type InputMessage,
} from '../src/index.js';

const EVENT = 'gen_ai.client.inference.operation.details';
const SECRET = 'sk-ant-SECRET-1234567890';
const input: InputMessage[] = [
  { role: 'user', parts: [{ type: 'text', content: `my key is ${SECRET}` }] },
];

/** An instrumentation with nothing to patch: its telemetry is what is under test. */
class BareInstrumentation extends GenAIInstrumentationBase {
  constructor(config: GenAIInstrumentationConfig = {}) {
    super('@genai-otel/instrumentation-bare', '1.2.3', config, 'bare');
  }
  protected override init() {
    return undefined;
  }
  protected override patchModuleManually(): void {}
}

const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;

let t: TestTelemetry;
let l: TestLogs;
let undo: (() => void) | undefined;
afterEach(async () => {
  undo?.();
  undo = undefined;
  await t?.shutdown();
  await l?.shutdown();
});

function llmCall(telemetry: GenAITelemetry) {
  const s = telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
  s.setSystemInstructions('Be brief.');
  s.setInputMessages(input);
  s.setOutputMessages([
    { role: 'assistant', parts: [{ type: 'text', content: 'ok' }], finish_reason: 'stop' },
  ]);
  s.end();
}

function telemetryWithLogger(config: GenAIInstrumentationConfig): GenAITelemetry {
  t = createTestTelemetry();
  l = createTestLogs();
  return new GenAITelemetry(
    () => t.tracerProvider.getTracer('test'),
    () => t.meterProvider.getMeter('test'),
    () => config,
    'test',
    () => l.loggerProvider.getLogger('test'),
  );
}

describe('content event as a log record', () => {
  it('EVENT_ONLY: one log record in the span context with structured content; nothing on the span', () => {
    llmCall(telemetryWithLogger({ captureContent: 'EVENT_ONLY' }));
    const [span] = t.spans();
    expect(span.events).toHaveLength(0);
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    const records = l.records();
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record.eventName).toBe(EVENT);
    expect(record.spanContext.traceId).toBe(span.spanContext().traceId);
    expect(record.spanContext.spanId).toBe(span.spanContext().spanId);
    // Structured values, as the conventions define them on events (not JSON strings).
    expect(record.attributes['gen_ai.input.messages']).toEqual(input);
    expect(record.attributes['gen_ai.system_instructions']).toEqual([
      { type: 'text', content: 'Be brief.' },
    ]);
    expect(record.attributes['gen_ai.output.messages'][0].finish_reason).toBe('stop');
    expect(record.attributes['gen_ai.operation.name']).toBe('chat');
    expect(record.attributes['gen_ai.request.model']).toBe('claude-x');
    // Emitted for the end of the operation: within the span (1 ms: the two clocks' rounding).
    expect(ms(record.hrTime)).toBeGreaterThanOrEqual(ms(span.startTime) - 1);
    expect(ms(record.hrTime)).toBeLessThanOrEqual(ms(span.endTime) + 1);
  });

  it('SPAN_AND_EVENT: content attributes on the span, and the log record', () => {
    llmCall(telemetryWithLogger({ captureContent: 'SPAN_AND_EVENT' }));
    const [span] = t.spans();
    expect(JSON.parse(span.attributes['gen_ai.input.messages'])).toEqual(input);
    expect(span.events).toHaveLength(0);
    expect(l.records().map((r: any) => r.eventName)).toEqual([EVENT]);
  });

  it('the redact hook and the length limit apply to log records too', () => {
    llmCall(
      telemetryWithLogger({
        captureContent: 'EVENT_ONLY',
        redact: (text) => text.replaceAll(SECRET, '[key]'),
      }),
    );
    const [record] = l.records();
    expect(JSON.stringify(record.attributes)).not.toContain(SECRET);
    expect(record.attributes['gen_ai.input.messages'][0].parts[0].content).toBe('my key is [key]');
  });

  it('a redact hook that returns plain text keeps that text (not parsed, not lost)', () => {
    llmCall(telemetryWithLogger({ captureContent: 'EVENT_ONLY', redact: () => 'withheld' }));
    const [record] = l.records();
    expect(record.attributes['gen_ai.input.messages']).toBe('withheld');
  });

  it('NO_CONTENT and SPAN_ONLY emit no log record', () => {
    const config: GenAIInstrumentationConfig = { captureContent: false };
    const telemetry = telemetryWithLogger(config);
    llmCall(telemetry);
    config.captureContent = 'SPAN_ONLY';
    llmCall(telemetry);
    expect(l.records()).toHaveLength(0);
  });
});

describe('which LoggerProvider an instrumentation uses', () => {
  /** An `EVENT_ONLY` instrumentation on a fresh tracer provider, and a LoggerProvider at hand. */
  function bare(config: (logs: TestLogs) => GenAIInstrumentationConfig = () => ({})) {
    t = createTestTelemetry();
    l = createTestLogs();
    return new BareInstrumentation({
      captureContent: 'EVENT_ONLY',
      tracerProvider: t.tracerProvider,
      ...config(l),
    });
  }

  function call(inst: BareInstrumentation) {
    llmCall(inst.telemetry);
    return t.spans().at(-1);
  }

  it('none configured: the event stays on the span (content is not lost)', () => {
    const span = call(bare());
    expect(span.events.map((e: any) => e.name)).toEqual([EVENT]);
    expect(typeof span.events[0].attributes['gen_ai.input.messages']).toBe('string');
  });

  it('the config `loggerProvider`', () => {
    const span = call(bare((logs) => ({ loggerProvider: logs.loggerProvider })));
    expect(span.events).toHaveLength(0);
    const [record] = l.records();
    expect(record.eventName).toBe(EVENT);
    expect(record.instrumentationScope.name).toBe('@genai-otel/instrumentation-bare');
    expect(record.instrumentationScope.version).toBe('1.2.3');
  });

  it('setLoggerProvider (what registerInstrumentations and the NodeSDK call)', () => {
    const inst = bare();
    inst.setLoggerProvider(l.loggerProvider);
    call(inst);
    expect(l.records()).toHaveLength(1);
  });

  it('the global provider, registered after the instrumentation was created', () => {
    const inst = bare();
    call(inst);
    expect(l.records()).toHaveLength(0); // not registered yet: a span event
    undo = setGlobalLoggerProvider(l.loggerProvider);
    const span = call(inst);
    expect(span.events).toHaveLength(0);
    expect(l.records()).toHaveLength(1);
    undo();
    undo = undefined;
    expect(call(inst).events.map((e: any) => e.name)).toEqual([EVENT]);
  });

  it('registerInstrumentations without a logger provider hands over the global proxy: still the global one, looked up at use', () => {
    const inst = bare(() => ({ tracerProvider: undefined }));
    const unregister = registerInstrumentations({
      instrumentations: [inst],
      tracerProvider: t.tracerProvider,
    });
    try {
      expect(call(inst).events.map((e: any) => e.name)).toEqual([EVENT]); // none registered
      undo = setGlobalLoggerProvider(l.loggerProvider);
      expect(call(inst).events).toHaveLength(0);
      expect(l.records()).toHaveLength(1);
    } finally {
      unregister();
    }
  });

  it('a logger that throws never breaks the call, and the span still ends', () => {
    const throwing = {
      getLogger: () => ({
        enabled: () => true,
        emit: () => {
          throw new Error('exporter down');
        },
      }),
    };
    const span = call(bare(() => ({ loggerProvider: throwing })));
    expect(span.name).toBe('chat claude-x');
  });
});
