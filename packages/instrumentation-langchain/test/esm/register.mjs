// Loaded with `node --import ./register.mjs app.mjs`: registers the ESM loader hook, then the
// instrumentation (from the BUILT dist), with a tracer provider collecting finished spans.
import { createRequire, register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

// The SDK comes from the shared test harness's dependencies (2.x or 3.x line).
const sdkRequire = createRequire(
  new URL('../../../../tools/test-utils/package.json', import.meta.url),
);
const load = (name) => {
  try {
    return sdkRequire(name);
  } catch {
    return undefined;
  }
};
const sdk = load('@opentelemetry/sdk-trace') ?? sdkRequire('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = sdkRequire('@opentelemetry/context-async-hooks');
const api = sdkRequire('@opentelemetry/api');

api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const finished = [];
const processor = {
  onStart() {},
  onEnd(span) {
    finished.push({
      name: span.name,
      kind: span.kind,
      spanId: span.spanContext().spanId,
      traceId: span.spanContext().traceId,
      parentId: span.parentSpanContext?.spanId ?? span.parentSpanId,
      attributes: span.attributes,
      status: span.status,
    });
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
const provider = new Provider({ spanProcessors: [processor] });
api.trace.setGlobalTracerProvider(provider);

const { LangChainInstrumentor } = await import('@genai-otel/instrumentation-langchain');
globalThis.__instrumentation = new LangChainInstrumentor().instrument();
globalThis.__finishedSpans = finished;
