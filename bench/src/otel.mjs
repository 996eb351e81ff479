// One OpenTelemetry set-up shared by every row: a globally registered tracer provider with
// an AsyncLocalStorage context manager and the same BatchSpanProcessor feeding a no-op
// exporter that only counts what it is given.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export class CountingNoopExporter {
  spans = 0;
  roots = 0;
  batches = 0;
  export(spans, resultCallback) {
    this.spans += spans.length;
    for (const s of spans) if (!s.parentSpanContext && !s.parentSpanId) this.roots += 1;
    this.batches += 1;
    resultCallback({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

export function setupOtel() {
  const exporter = new CountingNoopExporter();
  // Defaults of the SDK (queue 2048, batch 512, 5 s delay): what an application gets.
  const processor = new BatchSpanProcessor(exporter);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  return {
    exporter,
    processor,
    tracerProvider,
    flush: () => tracerProvider.forceFlush(),
    shutdown: async () => {
      await tracerProvider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
