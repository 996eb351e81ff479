// Offline models with LlamaIndex's real interfaces: a bag-of-letters embedding and an LLM that
// answers from the context in its prompt, reporting usage in the shape of a provider response.
// Use Settings.llm = new Anthropic(...) / OpenAI(...) and a real embedding model in an app.
import { BaseEmbedding, ToolCallLLM } from 'llamaindex';

export class LocalEmbedding extends BaseEmbedding {
  model = 'local-embed-1';
  async getTextEmbedding(text) {
    const v = new Array(16).fill(0);
    for (const word of String(text)
      .toLowerCase()
      .match(/[a-z]+/g) ?? []) {
      v[word.charCodeAt(0) % 16] += 1;
    }
    return v;
  }
}

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));
const textOf = (content) =>
  typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('');

export class LocalLLM extends ToolCallLLM {
  get metadata() {
    return {
      model: 'local-llm-1',
      temperature: 0,
      topP: 1,
      maxTokens: 256,
      contextWindow: 8192,
      tokenizer: undefined,
      structuredOutput: false,
    };
  }
  get supportToolCall() {
    return false;
  }
  async chat({ messages, stream }) {
    const prompt = messages.map((m) => textOf(m.content)).join('\n');
    // The first line of the retrieved context, as the "answer".
    const context =
      /Context information is below\.\n-+\n([^\n]+)/.exec(prompt)?.[1] ?? 'I do not know.';
    const answer = context.replace(/^[^:]*: /, '').trim();
    const usage = { input_tokens: tokens(prompt), output_tokens: tokens(answer) };
    if (!stream) {
      return {
        message: { role: 'assistant', content: answer },
        raw: { id: 'local-1', model: 'local-llm-1', stop_reason: 'end_turn', usage },
      };
    }
    const words = answer.split(' ');
    return (async function* () {
      yield {
        delta: '',
        raw: {
          type: 'message_start',
          message: { id: 'local-2', model: 'local-llm-1', usage: { ...usage, output_tokens: 1 } },
        },
      };
      for (const [i, w] of words.entries()) {
        yield { delta: i === 0 ? w : ` ${w}`, raw: { type: 'content_block_delta' } };
      }
      yield {
        delta: '',
        raw: {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn' },
          usage: { output_tokens: usage.output_tokens },
        },
      };
    })();
  }
}
