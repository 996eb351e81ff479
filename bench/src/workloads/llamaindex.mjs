// Offline LlamaIndex.TS query: a fake LLM and a fake embedding model behind a real
// VectorStoreIndex, retriever, response synthesizer and query engine.
import { BaseEmbedding, Document, Settings, ToolCallLLM, VectorStoreIndex } from 'llamaindex';

class BenchLLM extends ToolCallLLM {
  supportToolCall = false;
  calls = 0;
  metadata = {
    model: 'bench-llm-1',
    temperature: 0.1,
    topP: 1,
    maxTokens: 256,
    contextWindow: 8192,
    tokenizer: undefined,
    structuredOutput: false,
  };
  async chat(params) {
    this.calls += 1;
    const text = `Answer ${this.calls}`;
    const raw = { usage: { input_tokens: 42, output_tokens: 12 } };
    if (params.stream) {
      return (async function* gen() {
        yield { delta: text, raw };
      })();
    }
    return { message: { role: 'assistant', content: text }, raw };
  }
  async complete(params) {
    const response = await this.chat({
      messages: [{ role: 'user', content: params.prompt }],
      stream: params.stream,
    });
    if (params.stream) {
      return (async function* gen() {
        for await (const chunk of response) yield { text: chunk.delta, raw: chunk.raw };
      })();
    }
    return { text: String(response.message.content), raw: response.raw };
  }
}

class BenchEmbedding extends BaseEmbedding {
  async getTextEmbedding(text) {
    // Deterministic 16-dimension vector from character codes.
    const v = new Array(16).fill(0);
    for (let i = 0; i < text.length; i++) v[i % 16] += text.charCodeAt(i) / 1000;
    return v;
  }
}

async function queryWorkload() {
  Settings.llm = new BenchLLM();
  Settings.embedModel = new BenchEmbedding();
  const documents = [
    'OpenTelemetry is a CNCF observability framework.',
    'Spans describe a unit of work with a start and end.',
    'LlamaIndex builds indices over documents for retrieval.',
    'Batch span processors export spans in the background.',
  ].map((text, i) => new Document({ text, id_: `doc-${i}` }));
  const index = await VectorStoreIndex.fromDocuments(documents);
  const engine = index.asQueryEngine({ similarityTopK: 2 });
  let i = 0;
  return { invoke: () => engine.query({ query: `What is span number ${i++}?` }) };
}

export const create = { 'li-query': queryWorkload };
