// Per-invocation overhead of @genai-otel/instrumentation-langchain (built dist), measured in
// one process against (a) no instrumentation and (b) a no-op LangChain callback handler.
// Modes alternate round by round so drift affects all of them equally.
//
//   pnpm --filter @genai-otel/instrumentation-langchain build
//   pnpm --filter @genai-otel/instrumentation-langchain bench [-- --rounds 12 --iterations 2000]
//   pnpm --filter @genai-otel/instrumentation-langchain bench -- --heap   (100k invocations, heap check)
//
// Not part of the test suite.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 12);
const ITERATIONS = opt('iterations', 2000);
const HEAP = args.includes('--heap');
const print = (line) => process.stdout.write(`${line}\n`);

const require = createRequire(import.meta.url);
const sdkRequire = createRequire(
  new URL('../../../tools/test-utils/package.json', import.meta.url),
);
const load = (n) => {
  try {
    return sdkRequire(n);
  } catch {
    return undefined;
  }
};
const api = sdkRequire('@opentelemetry/api');
const sdk = load('@opentelemetry/sdk-trace') ?? sdkRequire('@opentelemetry/sdk-trace-base');
const msdk = sdkRequire('@opentelemetry/sdk-metrics');
const { AsyncLocalStorageContextManager } = sdkRequire('@opentelemetry/context-async-hooks');

api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
let exported = 0;
const exporter = {
  export(spans, cb) {
    exported += spans.length;
    cb({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
const batch =
  sdk.TracerProvider !== undefined
    ? new sdk.BatchSpanProcessor({ exporter, maxQueueSize: 100_000 })
    : new sdk.BatchSpanProcessor(exporter, { maxQueueSize: 100_000 });
const tracerProvider = new Provider({ spanProcessors: [batch] });
const metricExporter = new msdk.InMemoryMetricExporter(msdk.AggregationTemporality.CUMULATIVE);
const meterProvider = new msdk.MeterProvider({
  readers: [
    new msdk.PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    }),
  ],
});

const { LangChainInstrumentor } = await import('../dist/index.js');
const lc = new LangChainInstrumentor();
lc.setTracerProvider(tracerProvider);
lc.setMeterProvider(meterProvider);
lc.instrument();

const { FakeListChatModel, FakeRetriever } = require('@langchain/core/utils/testing');
const { ChatPromptTemplate } = require('@langchain/core/prompts');
const { StringOutputParser } = require('@langchain/core/output_parsers');
const {
  RunnableLambda,
  RunnablePassthrough,
  RunnableSequence,
} = require('@langchain/core/runnables');
const { BaseCallbackHandler } = require('@langchain/core/callbacks/base');
const { Document } = require('@langchain/core/documents');

class NoopHandler extends BaseCallbackHandler {
  name = 'noop_handler';
  handleChainStart() {}
  handleChainEnd() {}
  handleChatModelStart() {}
  handleLLMEnd() {}
  handleRetrieverStart() {}
  handleRetrieverEnd() {}
}
const noop = new NoopHandler();

const model = new FakeListChatModel({ responses: ['the answer is 42'] });
const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'be brief'],
  ['human', 'Context: {context}\nQuestion: {q}'],
]);
const retriever = new FakeRetriever({
  output: [
    new Document({ pageContent: 'Paris is the capital of France', metadata: { id: 'a' } }),
    new Document({ pageContent: 'Berlin is in Germany', metadata: { id: 'b' } }),
  ],
});
const format = RunnableLambda.from((docs) => docs.map((d) => d.pageContent).join('\n'));
const scenarios = {
  'single chat call': (cb) => model.invoke('hi', cb),
  'prompt -> model -> parser': (() => {
    const chain = prompt.pipe(model).pipe(new StringOutputParser());
    return (cb) => chain.invoke({ context: 'none', q: 'hi' }, cb);
  })(),
  'RAG chain': (() => {
    const rag = RunnableSequence.from([
      { context: retriever.pipe(format), q: new RunnablePassthrough() },
      prompt,
      model,
      new StringOutputParser(),
    ]);
    return (cb) => rag.invoke('capital of France?', cb);
  })(),
};

// "instrumented, no SDK": the same instrumentation with a non-recording tracer provider, to
// separate our own cost (handler, patches, core) from the SDK's span creation/export cost.
const noopTracerProvider = new api.ProxyTracerProvider();
const modes = {
  baseline: { enable: false, config: undefined },
  'noop handler': { enable: false, config: { callbacks: [noop] } },
  instrumented: { enable: true, config: undefined, provider: tracerProvider },
  'instrumented, no SDK': { enable: true, config: undefined, provider: noopTracerProvider },
};

function setMode(m) {
  if (m.provider) lc.setTracerProvider(m.provider);
  if (m.enable) lc.instrument();
  else lc.uninstrument();
}
const settle = () => new Promise((r) => setTimeout(r, 5));

async function measure(fn, config, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(config);
  return ((performance.now() - t0) * 1000) / n; // µs per invocation
}

if (HEAP) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  setMode(modes.instrumented);
  const fn = scenarios['prompt -> model -> parser'];
  const run = async (n) => {
    for (let i = 0; i < n; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => fn()));
      await settle();
    }
  };
  await run(5_000);
  await batch.forceFlush();
  gc();
  const before = process.memoryUsage().heapUsed;
  await run(100_000);
  await batch.forceFlush();
  await settle();
  gc();
  const after = process.memoryUsage().heapUsed;
  print(
    `heap after 100k prompt->model->parser invocations: ${((after - before) / 1048576).toFixed(2)} MB growth, open runs ${lc.openRuns}, spans exported ${exported}`,
  );
  process.exit(0);
}

const results = {};
for (const [sname, fn] of Object.entries(scenarios)) {
  results[sname] = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  // Warm up every mode.
  for (const m of Object.values(modes)) {
    setMode(m);
    await measure(fn, m.config, 300);
    await settle();
  }
  const order = Object.keys(modes);
  for (let r = 0; r < ROUNDS; r++) {
    const rotated = order.slice(r % order.length).concat(order.slice(0, r % order.length));
    for (const name of rotated) {
      setMode(modes[name]);
      results[sname][name].push(await measure(fn, modes[name].config, ITERATIONS));
      await settle();
    }
  }
}
lc.uninstrument();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
print(
  `node ${process.version}, @langchain/core ${require('@langchain/core/package.json').version}, ${ROUNDS} alternating rounds x ${ITERATIONS} sequential invocations, medians`,
);
print(
  '| scenario | baseline µs | no-op handler µs (overhead) | instrumented µs (overhead) | ratio vs no-op | instrumented, no SDK µs (overhead) | ratio vs no-op |',
);
print('|---|---:|---:|---:|---:|---:|---:|');
for (const [sname, r] of Object.entries(results)) {
  const b = median(r.baseline);
  const n = median(r['noop handler']);
  const i = median(r.instrumented);
  const x = median(r['instrumented, no SDK']);
  const f = (v) => `${v.toFixed(1)} (+${(v - b).toFixed(1)})`;
  print(
    `| ${sname} | ${b.toFixed(1)} | ${f(n)} | ${f(i)} | ${((i - b) / (n - b)).toFixed(2)}x | ${f(x)} | ${((x - b) / (n - b)).toFixed(2)}x |`,
  );
}
print(`spans exported: ${exported}`);
