import { GenAIContextSpanProcessor, logSwallowed } from '@genai-otel/core';
import * as apiNamespace from '@opentelemetry/api';
import {
  context,
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  metrics,
  propagation,
  trace,
} from '@opentelemetry/api';
import { logs as apiLogs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { buildDestinationStage, destinationsFromEnv } from './destinations.js';
import {
  baggageKeysFromEnv,
  env,
  envBool,
  instrumentationSelectionFromEnv,
  logExportersFromEnv,
  metricExportersFromEnv,
  traceExportersFromEnv,
} from './env.js';
import {
  planEsmPatching,
  registerPlannedHook,
  resolveEsmPatching,
  runPreloads,
  syncPatchedBuiltins,
} from './esm-patching.js';
import { BoundedExportSpanProcessor } from './export-processor.js';
import {
  createLogRecordProcessor,
  createMetricReader,
  createTraceDestination,
  exporterPackages,
  type TraceDestination,
} from './exporters.js';
import { createHttpInstrumentations } from './http-instrumentations.js';
import { createGenAIInstrumentations } from './instrumentations.js';
import { buildResource } from './resource.js';
import {
  adaptiveRequested,
  adaptiveSamplingOptions,
  resolveAdaptiveSampling,
  resolveSampler,
} from './sampling.js';
import { installShutdownHooks } from './shutdown-hooks.js';
import type {
  ExportStats,
  SetupTelemetryOptions,
  SpanProcessorLike,
  TelemetryHandle,
} from './types.js';

const ACTIVE = Symbol.for('genai-otel.node.active-handle');

/** Runs processors in order; one that throws never stops the others. */
export class FanOutSpanProcessor implements SpanProcessorLike {
  constructor(readonly processors: SpanProcessorLike[]) {}
  onStart(span: any, parentContext: any): void {
    for (const p of this.processors) {
      try {
        p.onStart(span, parentContext);
      } catch (err) {
        logSwallowed('span processor onStart', err);
      }
    }
  }
  onEnding(span: any): void {
    for (const p of this.processors) {
      try {
        p.onEnding?.(span);
      } catch (err) {
        logSwallowed('span processor onEnding', err);
      }
    }
  }
  onEnd(span: any): void {
    for (const p of this.processors) {
      try {
        p.onEnd(span);
      } catch (err) {
        logSwallowed('span processor onEnd', err);
      }
    }
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush().catch(noop)));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown().catch(noop)));
  }
}

function noop(): void {}

/**
 * The export side of the trace pipeline: one bounded export stage per destination, behind
 * the adaptive tail sampler when it is on. Kept separate so per-destination routing can
 * replace it without touching the rest of the set-up.
 */
export interface TraceExportStage {
  processor: SpanProcessorLike;
  destinations: Array<TraceDestination & { stage: BoundedExportSpanProcessor }>;
}

export function buildTraceExportStage(
  destinations: TraceDestination[],
  options: SetupTelemetryOptions,
  meterProvider?: unknown,
): TraceExportStage {
  const staged = destinations.map((d) => ({
    ...d,
    stage: new BoundedExportSpanProcessor(d.exporter, {
      ...options.batch,
      name: d.name,
      immediate: d.immediate,
    }),
  }));
  const fanOut =
    staged.length === 1 ? staged[0]!.stage : new FanOutSpanProcessor(staged.map((d) => d.stage));
  const adaptive = resolveAdaptiveSampling(options.adaptiveSampling, fanOut, meterProvider);
  return { processor: adaptive ?? fanOut, destinations: staged };
}

function disabledHandle(): TelemetryHandle {
  const done = () => Promise.resolve();
  return {
    ready: Promise.resolve(),
    esm: { mode: 'off', preloaded: [], hook: false },
    tracerProvider: trace.getTracerProvider() as TelemetryHandle['tracerProvider'],
    meterProvider: metrics.getMeterProvider() as TelemetryHandle['meterProvider'],
    instrumentations: [],
    exportStats: () => [],
    forceFlush: done,
    shutdown: done,
    enabled: false,
  };
}

/**
 * Sets up OpenTelemetry for a GenAI application in one call: resource, context manager,
 * propagators, sampler, exporters, the baggage allowlist processor, and every installed
 * GenAI instrumentation. Call it before the instrumented frameworks are used (or use
 * `node --import @genai-otel/node/register`), and in an ES module app `await handle.ready`
 * before importing them (see the `esm` option). Never throws: a failure is reported through
 * `diag` and a disabled handle is returned.
 */
export function setupTelemetry(options: SetupTelemetryOptions = {}): TelemetryHandle {
  return setupTelemetryWith(options, false);
}

/**
 * `setupTelemetry` for a caller that awaits `handle.ready` before the application runs (the
 * `--import` register entry): `esm: 'auto'` may then preload instead of hooking.
 */
export function setupTelemetryAwaited(options: SetupTelemetryOptions = {}): TelemetryHandle {
  return setupTelemetryWith(options, true);
}

function setupTelemetryWith(options: SetupTelemetryOptions, awaited: boolean): TelemetryHandle {
  const g = globalThis as Record<symbol, TelemetryHandle | undefined>;
  const existing = g[ACTIVE];
  if (existing) {
    diag.warn('genai-otel: setupTelemetry was already called; returning the existing set-up');
    return existing;
  }
  if (options.disabled ?? envBool('OTEL_SDK_DISABLED') ?? false) return disabledHandle();
  try {
    const handle = createHandle(options, awaited);
    g[ACTIVE] = handle;
    return handle;
  } catch (err) {
    logSwallowed('setupTelemetry', err);
    return disabledHandle();
  }
}

function createHandle(options: SetupTelemetryOptions, awaited: boolean): TelemetryHandle {
  const registerGlobal = options.registerGlobal ?? true;
  installDiagLogger();
  const baggageKeys = options.baggageKeys ?? baggageKeysFromEnv();
  const resource = buildResource(options);

  // --- metrics
  const readers: any[] = [];
  for (const entry of options.metricExporters ?? metricExportersFromEnv()) {
    try {
      const reader = createMetricReader(entry, {
        otlp: options.otlp,
        prometheus: options.prometheus,
        intervalMillis: options.metricExportIntervalMillis,
      });
      // (The Prometheus exporter's server is unref'd: it never keeps a finished script alive.)
      if (reader) readers.push(reader);
    } catch (err) {
      diag.error(`genai-otel: metric exporter not created: ${(err as Error).message}`);
    }
  }
  const meterProvider = new MeterProvider({ resource, readers });
  // --- traces: several destinations with per-trace selections, or the plain exporters list
  const destinationConfigs = options.destinations ?? destinationsFromEnv();
  let exportStage: TraceExportStage;
  if (destinationConfigs) {
    if (options.traceExporters)
      diag.warn('genai-otel: both destinations and traceExporters given; using destinations');
    exportStage = buildDestinationStage(destinationConfigs, {
      otlp: options.otlp,
      console: options.console,
      batch: options.batch,
      sampling: adaptiveSamplingOptions(options.adaptiveSampling),
      defaultSelect: adaptiveRequested(options.adaptiveSampling)
        ? { adaptive: true }
        : { all: true },
      meterProvider,
    });
  } else {
    const traceEntries = options.traceExporters ?? traceExportersFromEnv();
    const destinations: TraceDestination[] = [];
    traceEntries.forEach((entry, i) => {
      try {
        const d = createTraceDestination(entry, options, i);
        if (d) destinations.push(d);
      } catch (err) {
        diag.error(
          `genai-otel: trace exporter ${String((entry as any)?.type ?? entry)} not created: ${(err as Error).message}`,
        );
      }
    });
    exportStage = buildTraceExportStage(destinations, options, meterProvider);
  }
  const loggerProvider = createLoggerProvider(options, resource, exportStage.processor);
  const spanProcessors: SpanProcessorLike[] = [
    new GenAIContextSpanProcessor(
      baggageKeys ? { baggageKeys } : {},
    ) as unknown as SpanProcessorLike,
    ...(options.spanProcessors ?? []),
    exportStage.processor,
  ];
  const sampler = resolveSampler(options);
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: spanProcessors as any,
    sampler: sampler as any,
  });

  const exportStats = (): ExportStats[] =>
    exportStage.destinations.map((d) => ({ ...d.stage.stats }));
  observeExportStats(meterProvider, exportStats);

  // --- globals (each one we manage to register is released again on shutdown; one that was
  // already registered by the application is kept and left alone)
  const owned = {
    context: false,
    propagation: false,
    trace: false,
    metrics: false,
    logs: [] as LogsApi[],
  };
  if (registerGlobal) {
    owned.context = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    if (!owned.context)
      diag.debug('genai-otel: a context manager was already registered; keeping it');
    owned.propagation = propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
    owned.trace = trace.setGlobalTracerProvider(tracerProvider);
    owned.metrics = metrics.setGlobalMeterProvider(meterProvider);
    if (loggerProvider) owned.logs = registerGlobalLoggerProvider(loggerProvider);
  }

  // --- instrumentations
  const { instrumentations: genai, frameworks } = createGenAIInstrumentations({
    selection: options.instrumentations ?? instrumentationSelectionFromEnv(),
    captureContent: options.captureContent,
    semconv: options.semconv,
  });
  const additional = options.additionalInstrumentations ?? [];
  const http = createHttpInstrumentations(options.httpInstrumentation, {
    ignoreIncomingPaths: prometheusPaths(options),
  }).filter(
    // An HTTP/undici instrumentation the application passes itself replaces ours.
    (h) => !additional.some((a) => a?.instrumentationName === h.instrumentationName),
  );
  const instrumentations: Instrumentation[] = [...genai, ...http, ...additional];
  const esmPlan = planEsmPatching(
    resolveEsmPatching(options),
    genai.map((instrumentation, i) => ({ instrumentation, framework: frameworks[i]! })),
    http,
    additional,
    awaited,
  );
  const esm = { mode: esmPlan.mode, preloaded: [] as string[], hook: registerPlannedHook(esmPlan) };
  const unregister = registerInstrumentations({
    instrumentations,
    tracerProvider,
    meterProvider,
    loggerProvider,
  });
  if (!esm.hook && esmPlan.mode !== 'off') syncPatchedBuiltins(http);
  const ready = runPreloads(esmPlan, esm);

  let shutdownPromise: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    ready,
    esm,
    tracerProvider,
    meterProvider,
    loggerProvider,
    instrumentations,
    exportStats,
    enabled: true,
    forceFlush: async () => {
      await Promise.all([
        tracerProvider.forceFlush().catch((err: unknown) => logSwallowed('trace flush', err)),
        meterProvider.forceFlush().catch((err: unknown) => logSwallowed('metric flush', err)),
        loggerProvider?.forceFlush().catch((err: unknown) => logSwallowed('log flush', err)),
      ]);
    },
    shutdown: () => {
      shutdownPromise ??= (async () => {
        try {
          unregister();
        } catch (err) {
          logSwallowed('disable instrumentations', err);
        }
        await Promise.all([
          tracerProvider.shutdown().catch((err: unknown) => logSwallowed('trace shutdown', err)),
          meterProvider.shutdown().catch((err: unknown) => logSwallowed('metric shutdown', err)),
          loggerProvider?.shutdown().catch((err: unknown) => logSwallowed('log shutdown', err)),
        ]);
        // Release our globals so that a later set-up in the same process can register.
        for (const logsApi of owned.logs) logsApi.disable();
        if (owned.trace) trace.disable();
        if (owned.metrics) metrics.disable();
        if (owned.propagation) propagation.disable();
        if (owned.context) context.disable();
        const g = globalThis as Record<symbol, TelemetryHandle | undefined>;
        if (g[ACTIVE] === handle) g[ACTIVE] = undefined;
      })();
      return shutdownPromise;
    },
  };
  if (options.shutdownOnExit) {
    installShutdownHooks(handle, () =>
      exportStage.destinations.filter((d) => d.immediate).map((d) => d.exporter),
    );
  }
  return handle;
}

interface LogsApi {
  setGlobalLoggerProvider(provider: any): unknown;
  getLoggerProvider(): unknown;
  disable(): void;
}

/**
 * The logs SDK's provider when any log exporter is configured (undefined otherwise: the SDK
 * is not even loaded, and content events stay span events). Behind a tail sampler, each log
 * pipeline sees GenAI content events only for kept traces.
 */
function createLoggerProvider(
  options: SetupTelemetryOptions,
  resource: unknown,
  traceStage: SpanProcessorLike,
): any | undefined {
  const processors: any[] = [];
  const tailSampler =
    (options.logsFollowTraceSampling ?? envBool('GENAI_OTEL_LOGS_FOLLOW_SAMPLING') ?? true)
      ? (traceStage as { logRecordProcessor?: (next: unknown) => unknown })
      : undefined;
  for (const entry of options.logExporters ?? logExportersFromEnv()) {
    try {
      let processor = createLogRecordProcessor(entry, { otlp: options.otlp });
      // Content events of a tail-sampled trace are held with it and exported only if it is kept.
      if (processor && typeof tailSampler?.logRecordProcessor === 'function')
        processor = tailSampler.logRecordProcessor(processor);
      if (processor) processors.push(processor);
    } catch (err) {
      diag.error(`genai-otel: log exporter not created: ${(err as Error).message}`);
    }
  }
  if (processors.length === 0) return undefined;
  return new (exporterPackages.logsSdk().LoggerProvider)({ resource: resource as any, processors });
}

/**
 * Registers the provider globally in every logs API present: `@opentelemetry/api-logs` (the
 * API of SDK 2.x) and, with `@opentelemetry/api` 1.10+, the API's own `logs`. Returns those
 * where it was registered (an application's own provider is kept and left alone).
 */
function registerGlobalLoggerProvider(provider: unknown): LogsApi[] {
  const owned: LogsApi[] = [];
  const inApi = (apiNamespace as unknown as { logs?: LogsApi }).logs;
  for (const logsApi of inApi ? [apiLogs as LogsApi, inApi] : [apiLogs as LogsApi]) {
    try {
      logsApi.setGlobalLoggerProvider(provider);
      if (logsApi.getLoggerProvider() === provider) owned.push(logsApi);
      else diag.debug('genai-otel: a logger provider was already registered; keeping it');
    } catch (err) {
      logSwallowed('register logger provider', err);
    }
  }
  return owned;
}

/** Paths of the Prometheus endpoint, when one is configured (its scrapes are not traced). */
function prometheusPaths(options: SetupTelemetryOptions): string[] {
  const entries = options.metricExporters ?? metricExportersFromEnv();
  const paths: string[] = [];
  for (const e of entries) {
    const config =
      typeof e === 'string'
        ? { type: e }
        : (e as { type?: string; prometheus?: { endpoint?: string } });
    if (config?.type !== 'prometheus') continue;
    const endpoint = config.prometheus?.endpoint ?? options.prometheus?.endpoint ?? '/metrics';
    paths.push(endpoint.startsWith('/') ? endpoint : `/${endpoint}`);
  }
  return paths;
}

const LOG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** `OTEL_LOG_LEVEL` turns on OpenTelemetry's own diagnostics (to the console), as the SDK does. */
function installDiagLogger(): void {
  const level = LOG_LEVELS[env('OTEL_LOG_LEVEL')?.toLowerCase() ?? ''];
  if (level === undefined || level === DiagLogLevel.NONE) return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: level, suppressOverrideMessage: true });
}

/** `genai_otel.export.spans` (exported / dropped, per destination) as observable counters. */
function observeExportStats(meterProvider: MeterProvider, stats: () => ExportStats[]): void {
  try {
    const meter = meterProvider.getMeter('@genai-otel/node');
    const exported = meter.createObservableCounter('genai_otel.export.spans.exported', {
      description: 'Spans accepted by an exporter',
      unit: '{span}',
    });
    const dropped = meter.createObservableCounter('genai_otel.export.spans.dropped', {
      description: 'Spans dropped before or during export (queue full, export failed or timed out)',
      unit: '{span}',
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const s of stats()) {
          result.observe(exported, s.exported, { 'genai_otel.destination': s.name });
          result.observe(dropped, s.droppedQueueFull, {
            'genai_otel.destination': s.name,
            'genai_otel.drop.reason': 'queue_full',
          });
          result.observe(dropped, s.droppedExportFailed, {
            'genai_otel.destination': s.name,
            'genai_otel.drop.reason': 'export_failed',
          });
        }
      },
      [exported, dropped],
    );
  } catch (err) {
    logSwallowed('export statistics metrics', err);
  }
}
