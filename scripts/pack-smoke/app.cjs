// CJS user: require() every package, instrument, call Anthropic and LangChain.
const { checkExports, checkSpans, expectedPackages } = require('./check.cjs');
const { startFakeAnthropic } = require('./fake-anthropic-server.cjs');
const { context, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');

for (const name of expectedPackages()) checkExports(name, require(name));

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
const { AnthropicInstrumentor } = require('@genai-otel/instrumentation-anthropic');
const { LangChainInstrumentor } = require('@genai-otel/instrumentation-langchain');
new AnthropicInstrumentor().instrument();
new LangChainInstrumentor().instrument();

(async () => {
  const { server, url } = await startFakeAnthropic();
  const Anthropic = require('@anthropic-ai/sdk');
  const client = new Anthropic({ apiKey: 'smoke-key', baseURL: url, maxRetries: 0 });
  const msg = await client.messages.create({
    model: 'claude-smoke',
    max_tokens: 8,
    messages: [{ role: 'user', content: 'ping' }],
  });
  if (msg.content[0].text !== 'pong') throw new Error('unexpected Anthropic result');
  const { FakeListChatModel } = require('@langchain/core/utils/testing');
  const out = await new FakeListChatModel({ responses: ['hi'] }).invoke('hello');
  if (out.content !== 'hi') throw new Error('unexpected LangChain result');
  server.close();
  console.log(checkSpans(exporter.getFinishedSpans()));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
