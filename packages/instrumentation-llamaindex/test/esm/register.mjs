// Child-process set-up for the ESM tests: the loader hook, an in-memory tracer provider (from
// whichever OpenTelemetry SDK line test-utils has installed) and the BUILT instrumentation.
import { createRequire, register } from 'node:module';

// Hook only the LlamaIndex entry files (hooking everything also breaks openai 4's shims).
const { LLAMAINDEX_ESM_INCLUDE, LlamaIndexInstrumentor } = await import('../../dist/index.js');
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
  data: { include: LLAMAINDEX_ESM_INCLUDE },
});

const fromTestUtils = createRequire(
  new URL('../../../../tools/test-utils/package.json', import.meta.url),
);
const load = (name) => {
  try {
    return fromTestUtils(name);
  } catch {
    return undefined;
  }
};
const sdk = load('@opentelemetry/sdk-trace') ?? fromTestUtils('@opentelemetry/sdk-trace-base');
const line3 = !!load('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = fromTestUtils('@opentelemetry/context-async-hooks');
const api = fromTestUtils('@opentelemetry/api');
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const exporter = new sdk.InMemorySpanExporter();
const processor = line3
  ? new sdk.SimpleSpanProcessor({ exporter })
  : new sdk.SimpleSpanProcessor(exporter);
const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
const tracerProvider = new Provider({ spanProcessors: [processor] });

const instrumentor = new LlamaIndexInstrumentor({ tracerProvider, captureContent: true });
instrumentor.instrument();

globalThis.__genaiOtelTest = {
  instrumentor,
  api,
  tracerProvider,
  /** Finished spans as plain JSON (name, ids, parent, attributes). */
  spans: () =>
    exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentId: s.parentSpanContext?.spanId ?? s.parentSpanId,
      attributes: s.attributes,
    })),
};
