/**
 * Test harness shared by every package: a real tracer provider with an in-memory exporter
 * and a real meter provider with an in-memory reader, built from whichever OpenTelemetry SDK
 * line is installed (2.x `sdk-trace-base`, or 3.x `sdk-trace` in the Node 24 matrix run).
 */
import { createRequire } from 'node:module';
import { context, metrics, propagation, trace } from '@opentelemetry/api';

const require = createRequire(import.meta.url);

function load<T = any>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/** `3` when the SDK 3.x line (`@opentelemetry/sdk-trace`) is installed, otherwise `2`. */
export const sdkLine: 2 | 3 = load('@opentelemetry/sdk-trace') ? 3 : 2;

export function traceSdk(): any {
  return load('@opentelemetry/sdk-trace') ?? require('@opentelemetry/sdk-trace-base');
}

export function metricsSdk(): any {
  return require('@opentelemetry/sdk-metrics');
}

export function logsSdk(): any {
  return require('@opentelemetry/sdk-logs');
}

export interface TestLogs {
  loggerProvider: any;
  exporter: any;
  /** Emitted log records, in emit order. */
  records(): any[];
  reset(): void;
  shutdown(): Promise<void>;
}

/** A real SDK LoggerProvider exporting to memory (the same calls on both lines). */
export function createTestLogs(): TestLogs {
  const sdk = logsSdk();
  const exporter = new sdk.InMemoryLogRecordExporter();
  const loggerProvider = new sdk.LoggerProvider({
    processors: [new sdk.SimpleLogRecordProcessor({ exporter })],
  });
  return {
    loggerProvider,
    exporter,
    records: () => exporter.getFinishedLogRecords(),
    reset: () => exporter.reset(),
    shutdown: () => loggerProvider.shutdown(),
  };
}

/**
 * Registers a LoggerProvider globally where this line's API keeps it (`logs` of
 * `@opentelemetry/api` 1.10, else `@opentelemetry/api-logs`). Returns the undo.
 */
export function setGlobalLoggerProvider(provider: unknown): () => void {
  const apiLogs = (require('@opentelemetry/api') as { logs?: any }).logs;
  const logsApi = apiLogs ?? require('@opentelemetry/api-logs').logs;
  logsApi.setGlobalLoggerProvider(provider);
  return () => logsApi.disable();
}

/** A span processor that works on both lines (3.x takes an options object). */
export function simpleProcessor(exporter: unknown): any {
  const sdk = traceSdk();
  return sdkLine === 3
    ? new sdk.SimpleSpanProcessor({ exporter })
    : new sdk.SimpleSpanProcessor(exporter);
}

export function batchProcessor(exporter: unknown, options: Record<string, unknown> = {}): any {
  const sdk = traceSdk();
  return sdkLine === 3
    ? new sdk.BatchSpanProcessor({ exporter, ...options })
    : new sdk.BatchSpanProcessor(exporter, options);
}

export function createTracerProvider(
  options: { spanProcessors?: unknown[]; sampler?: unknown } = {},
): any {
  const sdk = traceSdk();
  const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
  return new Provider({ spanProcessors: options.spanProcessors ?? [], sampler: options.sampler });
}

export interface TestTelemetry {
  tracerProvider: any;
  meterProvider: any;
  exporter: any;
  reader: any;
  /** Finished spans, in end order. */
  spans(): any[];
  spanByName(name: string): any;
  /** Collected metric data points keyed by metric name. */
  metricsByName(): Promise<Map<string, any>>;
  reset(): void;
  shutdown(): Promise<void>;
}

let contextManagerInstalled = false;

/** Installs the AsyncLocalStorage context manager and W3C propagators once per process. */
export function installGlobalContext(): void {
  if (contextManagerInstalled) return;
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const core = require('@opentelemetry/core');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  contextManagerInstalled = true;
}

export function createTestTelemetry(
  options: { registerGlobal?: boolean; extraProcessors?: unknown[]; sampler?: unknown } = {},
): TestTelemetry {
  installGlobalContext();
  const sdk = traceSdk();
  const msdk = metricsSdk();
  const exporter = new sdk.InMemorySpanExporter();
  const tracerProvider = createTracerProvider({
    spanProcessors: [...(options.extraProcessors ?? []), simpleProcessor(exporter)],
    sampler: options.sampler,
  });
  const manualReader = new ManualReader(msdk);
  const meterProvider = new msdk.MeterProvider({ readers: [manualReader.reader] });
  if (options.registerGlobal) {
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
  }
  return {
    tracerProvider,
    meterProvider,
    exporter,
    reader: manualReader.reader,
    spans: () => exporter.getFinishedSpans(),
    spanByName: (name: string) => exporter.getFinishedSpans().find((s: any) => s.name === name),
    metricsByName: () => manualReader.collectByName(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      if (options.registerGlobal) {
        trace.disable();
        metrics.disable();
      }
    },
  };
}

/** Wraps a metric reader we pull from on demand, so tests read exact values. */
class ManualReader {
  readonly reader: any;
  constructor(msdk: any) {
    // MetricReader is abstract; a tiny subclass gives us collect() without an export loop.
    const Base = msdk.MetricReader;
    class PullReader extends Base {
      // The base class is untyped here: declare the constructor so TypeScript accepts options.
      constructor(options: unknown) {
        super(options);
      }
      protected async onForceFlush(): Promise<void> {}
      protected async onShutdown(): Promise<void> {}
    }
    this.reader = new PullReader({
      aggregationTemporalitySelector: () => msdk.AggregationTemporality.CUMULATIVE,
    });
  }
  async collectByName(): Promise<Map<string, any>> {
    const { resourceMetrics } = await this.reader.collect();
    const out = new Map<string, any>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
    }
    return out;
  }
}

/** Span tree helpers for assertions on parentage. */
export function parentId(span: any): string | undefined {
  return span.parentSpanContext?.spanId ?? span.parentSpanId;
}

export function childrenOf(spans: any[], parent: any): any[] {
  const id = parent.spanContext().spanId;
  return spans.filter((s) => parentId(s) === id);
}

/** Renders finished spans as an indented name tree (stable order: start time, then name). */
export function renderTree(spans: any[]): string {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const roots = spans.filter((s) => !parentId(s) || !ids.has(parentId(s)!));
  const lines: string[] = [];
  const hr = (s: any) => s.startTime[0] * 1e9 + s.startTime[1];
  const visit = (s: any, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${s.name}`);
    for (const c of childrenOf(spans, s).sort(
      (a, b) => hr(a) - hr(b) || a.name.localeCompare(b.name),
    )) {
      visit(c, depth + 1);
    }
  };
  for (const r of roots.sort((a, b) => hr(a) - hr(b))) visit(r, 0);
  return lines.join('\n');
}
export { consoleTrees, type ExampleRun, runExample } from './examples.js';
export * from './fake-anthropic.js';
export * from './otlp-receiver.js';
