// Child-process set-up for the ESM tests: the ESM loader hook, a real tracer provider with an
// in-memory exporter (from whichever SDK line test-utils installed), and our BUILT package.
import { createRequire, register } from 'node:module';
import { context, trace } from '@opentelemetry/api';

// ESM_INCLUDE=1: only wrap the files this package patches (the README's start-up advice).
const include = [
  /@anthropic-ai\/sdk\/resources\/(beta\/)?messages(\/messages)?\.mjs$/,
  /@anthropic-ai\/sdk\/resources\/completions\.mjs$/,
];
register(
  '@opentelemetry/instrumentation/hook.mjs',
  import.meta.url,
  process.env.ESM_INCLUDE === '1' ? { data: { include } } : undefined,
);

const tu = createRequire(new URL('../../../../tools/test-utils/package.json', import.meta.url));
let sdk;
let line = 3;
try {
  sdk = tu('@opentelemetry/sdk-trace');
} catch {
  sdk = tu('@opentelemetry/sdk-trace-base');
  line = 2;
}
const { AsyncLocalStorageContextManager } = tu('@opentelemetry/context-async-hooks');
const exporter = new sdk.InMemorySpanExporter();
const processor =
  line === 3 ? new sdk.SimpleSpanProcessor({ exporter }) : new sdk.SimpleSpanProcessor(exporter);
const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
const provider = new Provider({ spanProcessors: [processor] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const { AnthropicInstrumentor } = await import('@genai-otel/instrumentation-anthropic');
new AnthropicInstrumentor({ captureContent: true });

globalThis.__finishedSpans = () =>
  exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    status: s.status.code,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? s.parentSpanId,
    attributes: s.attributes,
  }));
