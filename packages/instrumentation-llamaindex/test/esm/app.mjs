// ESM app run by esm.test.ts: `node --import ./register.mjs app.mjs <specifier>`.
// Imports the real llamaindex ESM entry, runs an offline pipeline and prints the spans.
const specifier = process.argv[2] ?? 'llamaindex';
const li = await import(specifier);
const { makeFakes, buildIndex } = await import('./fakes.mjs');
const fakes = makeFakes(li);
const index = await buildIndex(li, fakes);
const engine = index.asQueryEngine();
await engine.query({ query: 'What is OpenTelemetry?' });
const stream = await engine.query({ query: 'Stream about LlamaIndex', stream: true });
for await (const _chunk of stream) {
  // consume
}
const chat = new li.ContextChatEngine({ retriever: index.asRetriever() });
await chat.chat({ message: 'hello' });
process.stdout.write(
  `${JSON.stringify({ version: li.Settings ? 'ok' : 'none', spans: globalThis.__genaiOtelTest.spans() })}\n`,
);
