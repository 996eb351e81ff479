// ESM user: the loader hook and the instrumentations are set up before the app is imported.
import { register } from 'node:module';
import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { LangChainInstrumentor } from '@genai-otel/instrumentation-langchain';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
new AnthropicInstrumentor().instrument();
new LangChainInstrumentor().instrument();
globalThis.smokeExporter = exporter;
