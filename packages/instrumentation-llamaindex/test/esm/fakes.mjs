// Plain-JS twins of test/fixtures.ts fakes for the ESM child process.
export function makeFakes(li) {
  class FakeEmbedding extends li.BaseEmbedding {
    model = 'fake-embed-v1';
    async getTextEmbedding(text) {
      const v = [1, 0, 0, 0];
      for (const c of String(text)) v[c.charCodeAt(0) % 4] += 1;
      return v;
    }
  }
  class FakeLLM extends li.ToolCallLLM {
    get metadata() {
      return {
        model: 'fake-llm-1',
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 256,
        contextWindow: 8192,
      };
    }
    get supportToolCall() {
      return true;
    }
    async chat(params) {
      const answer = 'An answer';
      if (params.stream) {
        return (async function* () {
          yield {
            delta: '',
            raw: {
              type: 'message_start',
              message: { id: 'msg_s', usage: { input_tokens: 20, output_tokens: 1 } },
            },
          };
          yield { delta: answer, raw: { type: 'content_block_delta' } };
          yield {
            delta: '',
            raw: {
              type: 'message_delta',
              delta: { stop_reason: 'end_turn' },
              usage: { output_tokens: 2 },
            },
          };
        })();
      }
      return {
        message: { role: 'assistant', content: answer },
        raw: {
          id: 'msg_1',
          stop_reason: 'end_turn',
          usage: { input_tokens: 20, output_tokens: 2 },
        },
      };
    }
  }
  return { embed: new FakeEmbedding(), llm: new FakeLLM() };
}

export async function buildIndex(li, fakes) {
  li.Settings.embedModel = fakes.embed;
  li.Settings.llm = fakes.llm;
  const docs = [
    new li.Document({ text: 'OpenTelemetry is an observability framework.', id_: 'doc-otel' }),
    new li.Document({ text: 'LlamaIndex is a data framework for LLM apps.', id_: 'doc-llama' }),
  ];
  return li.VectorStoreIndex.fromDocuments(docs);
}
