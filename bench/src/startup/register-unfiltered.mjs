// The unfiltered loader hook: OpenTelemetry's ESM hook registered with no include list, so
// every imported module goes through import-in-the-middle, then our LangChain instrumentation
// is created with a tracer provider (batch processor, no-op exporter).
import { register } from 'node:module';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const exporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }),
);

const mod = await import('@genai-otel/instrumentation-langchain');
const Ctor = mod.LangChainInstrumentation ?? mod.LangChainInstrumentor;
new Ctor({});
