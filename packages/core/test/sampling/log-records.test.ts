/**
 * Log records that follow their trace's tail-sampling decision: the real trace and logs SDKs
 * of the installed line (2.x + sdk-logs 0.2xx, or 3.x), core's content event as the record,
 * and the sampler's `logRecordProcessor` in front of the SDK's SimpleLogRecordProcessor.
 * Decisions are deterministic: baseline probability 0 (fast successful traces are dropped) or
 * 1 (kept), a fake clock, no timer.
 */
import {
  createTestTelemetry,
  createTracerProvider,
  installGlobalContext,
  logsSdk,
  sdkLine,
  simpleProcessor,
  type TestTelemetry,
  traceSdk,
} from '@genai-otel/test-utils';
import { type Context, context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GenAITelemetry } from '../../src/index.js';
import {
  type AdaptiveSamplingOptions,
  AdaptiveSamplingSpanProcessor,
  createHeadSampler,
  TraceRoutingSpanProcessor,
} from '../../src/sampling/index.js';
import { FakeClock, RecordingSink } from './traffic.js';

const EVENT = 'gen_ai.client.inference.operation.details';

beforeAll(() => installGlobalContext());
afterAll(() => trace.disable());

let metricsHarness: TestTelemetry | undefined;
const pipelines: Array<{ shutdown(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(pipelines.splice(0).map((p) => p.shutdown()));
  await metricsHarness?.shutdown();
  metricsHarness = undefined;
});

function pipeline(
  options: Partial<AdaptiveSamplingOptions> = {},
  make: (o: AdaptiveSamplingOptions) => AdaptiveSamplingSpanProcessor = (o) =>
    new AdaptiveSamplingSpanProcessor(o),
) {
  const spanExporter = new (traceSdk().InMemorySpanExporter)();
  const clock = new FakeClock();
  const sampler = make({
    next: simpleProcessor(spanExporter),
    clock,
    sweepIntervalMs: 0,
    decisionWaitMs: 0,
    slowThresholdMs: 60_000,
    minRate: 0,
    maxRate: 0,
    ...options,
  });
  const tracerProvider = createTracerProvider({
    spanProcessors: [sampler],
    sampler: createHeadSampler({ ratio: 1 }),
  });
  const logs = logsSdk();
  const logExporter = new logs.InMemoryLogRecordExporter();
  const loggerProvider = new logs.LoggerProvider({
    processors: [
      sampler.logRecordProcessor(new logs.SimpleLogRecordProcessor({ exporter: logExporter })),
    ],
  });
  const tracer = tracerProvider.getTracer('test');
  const logger = loggerProvider.getLogger('test');
  const telemetry = new GenAITelemetry(
    () => tracer,
    () => metricsHarnessMeter(),
    () => ({ captureContent: 'EVENT_ONLY' }),
    'test',
    () => logger,
  );
  /** An LLM call (its content event is a log record) under `parent`. */
  const llmCall = (parent: Context = ROOT_CONTEXT, opts: { error?: boolean } = {}) => {
    const s = telemetry.startSpan({
      kind: 'LLM',
      name: 'claude-x',
      provider: 'anthropic',
      parentContext: parent,
    });
    s.setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }]);
    if (opts.error) s.span.setStatus({ code: SpanStatusCode.ERROR });
    s.end();
    return s.span.spanContext().traceId;
  };
  const p = {
    sampler,
    clock,
    tracer,
    logger,
    llmCall,
    spans: () => spanExporter.getFinishedSpans() as any[],
    records: () => logExporter.getFinishedLogRecords() as any[],
    loggerProvider,
    shutdown: async () => {
      await loggerProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
  pipelines.push(p);
  return p;
}

function metricsHarnessMeter() {
  metricsHarness ??= createTestTelemetry();
  return metricsHarness.meterProvider.getMeter('test');
}

describe(`log records follow their trace's decision (line ${sdkLine})`, () => {
  it('a dropped trace drops its content record; a kept (error) trace forwards it', () => {
    const p = pipeline();
    const dropped = p.llmCall();
    const kept = p.llmCall(ROOT_CONTEXT, { error: true });
    expect(p.spans().map((s) => s.spanContext().traceId)).toEqual([kept]);
    const records = p.records();
    expect(records.map((r) => r.eventName)).toEqual([EVENT]);
    expect(records[0].spanContext.traceId).toBe(kept);
    expect(records.some((r) => r.spanContext.traceId === dropped)).toBe(false);
    const stats = p.sampler.stats();
    expect(stats.logRecordsKept).toBe(1);
    expect(stats.logRecordsDropped).toBe(1);
    expect(stats.bufferedLogRecords).toBe(0);
  });

  it('records are held until the trace is decided, and kept baseline traces forward them', () => {
    const p = pipeline({ minRate: 1, maxRate: 1, decisionWaitMs: 100 });
    const root = p.tracer.startSpan('invoke_agent support');
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    const traceId = p.llmCall(inRoot);
    p.llmCall(inRoot);
    // The LLM calls ended: their records wait with the trace (its root is still open).
    expect(p.records()).toHaveLength(0);
    expect(p.sampler.stats().bufferedLogRecords).toBe(2);
    root.end();
    p.clock.t += 50;
    p.sampler.sweepNow();
    expect(p.records()).toHaveLength(0); // decisionWaitMs not over yet
    p.clock.t += 100;
    p.sampler.sweepNow();
    expect(p.records().map((r) => r.spanContext.traceId)).toEqual([traceId, traceId]);
    expect(p.spans()).toHaveLength(3);
    expect(p.sampler.stats().bufferedLogRecords).toBe(0);
  });

  it('an error anywhere in the trace keeps the records of its successful calls too', () => {
    const p = pipeline();
    const root = p.tracer.startSpan('invoke_agent support');
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    p.llmCall(inRoot); // succeeds
    p.llmCall(inRoot, { error: true });
    root.end();
    p.llmCall(); // another trace, successful: dropped with its record
    const traceId = root.spanContext().traceId;
    expect(p.records().map((r) => r.spanContext.traceId)).toEqual([traceId, traceId]);
  });

  it('records that do not match (application logs) pass straight through', () => {
    const p = pipeline();
    const root = p.tracer.startSpan('POST /chat');
    context.with(trace.setSpan(ROOT_CONTEXT, root), () => {
      p.logger.emit({ body: 'handling request' });
      p.logger.emit({ eventName: 'app.audit', body: 'x' });
    });
    expect(p.records().map((r) => r.body)).toEqual(['handling request', 'x']); // before any decision
    root.end();
    expect(p.spans()).toHaveLength(0); // the trace itself was dropped
    expect(p.records()).toHaveLength(2);
  });

  it('`match` widens what follows the trace', () => {
    const p = pipeline();
    const logs = logsSdk();
    const exporter = new logs.InMemoryLogRecordExporter();
    const provider = new logs.LoggerProvider({
      processors: [
        p.sampler.logRecordProcessor(new logs.SimpleLogRecordProcessor({ exporter }), {
          match: () => true,
        }),
      ],
    });
    pipelines.push(provider);
    const root = p.tracer.startSpan('POST /chat');
    provider
      .getLogger('app')
      .emit({ body: 'handling request', context: trace.setSpan(ROOT_CONTEXT, root) });
    root.end();
    // An application log of a dropped trace: dropped with it, since `match` selects it.
    expect(exporter.getFinishedLogRecords()).toHaveLength(0);
    expect(p.sampler.stats().logRecordsDropped).toBe(1);
  });

  it('a record of a trace decided earlier follows that decision', () => {
    const p = pipeline();
    const dropRoot = p.tracer.startSpan('dropped');
    dropRoot.end();
    const keepRoot = p.tracer.startSpan('kept');
    keepRoot.setStatus({ code: SpanStatusCode.ERROR });
    keepRoot.end();
    expect(p.sampler.stats().tracesDropped).toBe(1);
    // Late: emitted after the traces were decided.
    p.logger.emit({
      eventName: EVENT,
      body: 'late-dropped',
      context: trace.setSpan(ROOT_CONTEXT, dropRoot),
    });
    p.logger.emit({
      eventName: EVENT,
      body: 'late-kept',
      context: trace.setSpan(ROOT_CONTEXT, keepRoot),
    });
    expect(p.records().map((r) => r.body)).toEqual(['late-kept']);
    expect(p.sampler.stats().logRecordsDropped).toBe(1);
  });

  it('records outside any trace the sampler buffers pass through', () => {
    const p = pipeline();
    p.logger.emit({ eventName: EVENT, body: 'no span' });
    // A sampled span context the sampler never saw (another tracer provider, say).
    const foreign = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
    });
    p.logger.emit({
      eventName: EVENT,
      body: 'foreign',
      context: trace.setSpan(ROOT_CONTEXT, foreign),
    });
    expect(p.records().map((r) => r.body)).toEqual(['no span', 'foreign']);
  });

  it('memory is bounded: beyond maxBufferedLogRecords the oldest traces are decided early', () => {
    const p = pipeline({ minRate: 1, maxRate: 1, maxBufferedLogRecords: 3 });
    let maxHeld = 0;
    const roots = [];
    for (let i = 0; i < 5; i++) {
      const root = p.tracer.startSpan(`agent ${i}`);
      roots.push(root);
      p.llmCall(trace.setSpan(ROOT_CONTEXT, root));
      p.llmCall(trace.setSpan(ROOT_CONTEXT, root));
      maxHeld = Math.max(maxHeld, p.sampler.stats().bufferedLogRecords);
    }
    expect(maxHeld).toBeLessThanOrEqual(3);
    const s = p.sampler.stats();
    expect(s.forcedDecisions.max_buffered_log_records).toBeGreaterThanOrEqual(3);
    // Kept (baseline 1): the early-decided traces' records were forwarded, none lost.
    for (const r of roots) r.end();
    p.sampler.sweepNow();
    expect(p.records()).toHaveLength(10);
  });

  it('flushing the logger provider decides the open traces and loses nothing kept', async () => {
    const p = pipeline({ minRate: 1, maxRate: 1 });
    const root = p.tracer.startSpan('invoke_agent support');
    p.llmCall(trace.setSpan(ROOT_CONTEXT, root));
    expect(p.records()).toHaveLength(0);
    await p.loggerProvider.forceFlush();
    expect(p.records()).toHaveLength(1);
    expect(p.sampler.stats().forcedDecisions.flush).toBe(1);
    root.end();
  });

  it('shutting down the logger provider exports the held records of kept traces first', async () => {
    const p = pipeline({ minRate: 1, maxRate: 1 });
    const exported: any[] = [];
    const logs = logsSdk();
    const provider = new logs.LoggerProvider({
      processors: [
        p.sampler.logRecordProcessor(
          new logs.SimpleLogRecordProcessor({
            exporter: {
              export(records: any[], done: (r: { code: number }) => void) {
                exported.push(...records);
                done({ code: 0 });
              },
              shutdown: async () => {},
            },
          }),
        ),
      ],
    });
    const root = p.tracer.startSpan('invoke_agent support');
    provider
      .getLogger('test')
      .emit({ eventName: EVENT, body: 'held', context: trace.setSpan(ROOT_CONTEXT, root) });
    expect(exported).toHaveLength(0);
    await provider.shutdown();
    expect(exported.map((r) => r.body)).toEqual(['held']);
    root.end();
  });

  it('counts records kept, dropped and held in the genai_otel.sampling.* metrics', async () => {
    const harness = createTestTelemetry();
    const p = pipeline({ meterProvider: harness.meterProvider });
    p.llmCall(); // dropped
    p.llmCall(ROOT_CONTEXT, { error: true }); // kept
    const open = p.tracer.startSpan('invoke_agent support');
    p.llmCall(trace.setSpan(ROOT_CONTEXT, open)); // held
    const m = await harness.metricsByName();
    const value = (name: string, decision?: string) =>
      m
        .get(name)
        ?.dataPoints.find(
          (d: any) => decision === undefined || d.attributes['sampling.decision'] === decision,
        )?.value;
    expect(value('genai_otel.sampling.log_records', 'kept')).toBe(1);
    expect(value('genai_otel.sampling.log_records', 'dropped')).toBe(1);
    expect(value('genai_otel.sampling.buffered_log_records')).toBe(1);
    open.end();
    await harness.shutdown();
  });

  it('annotate mode forwards every record (a Collector decides)', () => {
    const p = pipeline({ mode: 'annotate' });
    p.llmCall();
    expect(p.records()).toHaveLength(1);
  });

  it('a failing exporter processor never reaches the application', () => {
    const sampler = new AdaptiveSamplingSpanProcessor({
      next: { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} },
      sweepIntervalMs: 0,
    });
    const gate = sampler.logRecordProcessor({
      onEmit() {
        throw new Error('exporter down');
      },
      enabled() {
        throw new Error('exporter down');
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    });
    expect(() =>
      gate.onEmit({ eventName: EVENT, spanContext: { traceId: 'c'.repeat(32), traceFlags: 1 } }),
    ).not.toThrow();
    expect(gate.enabled({})).toBe(true);
    expect(() => sampler.logRecordProcessor({} as any)).toThrow(TypeError);
  });

  it('with several destinations, records go wherever any destination keeps the trace', () => {
    const errorsOnly: any[] = [];
    const sink = (into: any[]) => new RecordingSink((span) => into.push(span));
    const p = pipeline(
      {},
      (o) =>
        new TraceRoutingSpanProcessor({
          ...o,
          destinations: [
            { name: 'errors', next: sink(errorsOnly), select: { errorsOnly: true } },
            {
              name: 'sampled',
              next: sink([]),
              select: { adaptive: { minRate: 0, maxRate: 0 } },
            },
          ],
        } as any),
    );
    p.llmCall(); // neither destination keeps it
    p.llmCall(ROOT_CONTEXT, { error: true }); // the errors destination keeps it
    expect(errorsOnly).toHaveLength(1);
    expect(p.records()).toHaveLength(1);
    expect(p.records()[0].spanContext.traceId).toBe(errorsOnly[0].spanContext().traceId);
  });
});
