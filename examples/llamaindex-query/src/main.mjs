// Index a few documents, retrieve for a question, then query the index plain and streaming.
import { trace } from '@opentelemetry/api';
import { Document, Settings, VectorStoreIndex } from 'llamaindex';
import { LocalEmbedding, LocalLLM } from './local-models.mjs';
import { telemetry } from './telemetry.mjs';

Settings.llm = new LocalLLM();
Settings.embedModel = new LocalEmbedding();

const documents = [
  new Document({
    id_: 'otel',
    text: 'OpenTelemetry: an observability framework for traces, metrics and logs.',
  }),
  new Document({
    id_: 'llama',
    text: 'LlamaIndex: a data framework that connects LLMs to your data.',
  }),
  new Document({
    id_: 'genai',
    text: 'GenAI semantic conventions: names for model calls, tokens and tools.',
  }),
];
// Our own span around indexing, so the embedding calls it makes appear under one root.
const index = await trace
  .getTracer('llamaindex-query-example')
  .startActiveSpan('build_index', async (span) => {
    try {
      return await VectorStoreIndex.fromDocuments(documents);
    } finally {
      span.end();
    }
  });

const retriever = index.asRetriever({ similarityTopK: 2 });
const nodes = await retriever.retrieve({ query: 'What is OpenTelemetry?' });
console.log(
  `retrieve: ${nodes.length} nodes, best = "${nodes[0]?.node.getContent().slice(0, 26)}..."`,
);

const queryEngine = index.asQueryEngine({ similarityTopK: 2 });
const response = await queryEngine.query({ query: 'What is LlamaIndex?' });
console.log(`query: ${response.toString()}`);

const stream = await queryEngine.query({
  query: 'What are the GenAI semantic conventions?',
  stream: true,
});
let streamed = '';
for await (const chunk of stream) streamed += chunk.delta ?? chunk.response ?? '';
console.log(`query (stream): ${streamed}`);

await telemetry.shutdown();
