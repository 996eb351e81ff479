// Offline stand-ins with LangChain's real interfaces: a keyword retriever over a few documents,
// and a chat model that answers from the context in its prompt and reports token usage the way
// provider integrations do (usage_metadata). Swap in ChatAnthropic / ChatOpenAI and a vector
// store retriever for a real application: the traces keep the same shape.
import { Document } from '@langchain/core/documents';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import { BaseRetriever } from '@langchain/core/retrievers';

const DOCS = [
  new Document({
    pageContent: 'The Eiffel Tower is 330 metres tall.',
    metadata: { id: 'paris-1' },
  }),
  new Document({
    pageContent: 'The Louvre is the most visited museum in the world.',
    metadata: { id: 'paris-2' },
  }),
  new Document({ pageContent: 'Mount Fuji is 3,776 metres high.', metadata: { id: 'japan-1' } }),
  new Document({
    pageContent: 'Kyoto has more than 1,600 Buddhist temples.',
    metadata: { id: 'japan-2' },
  }),
];

const words = (t) => new Set(t.toLowerCase().match(/[a-z0-9]+/g) ?? []);

export class KeywordRetriever extends BaseRetriever {
  lc_namespace = ['example', 'retrievers'];
  static lc_name() {
    return 'KeywordRetriever';
  }
  constructor(fields = {}) {
    super(fields);
    this.k = fields.k ?? 2;
  }
  async _getRelevantDocuments(query) {
    const q = words(query);
    return DOCS.map((doc) => ({
      doc,
      score: [...words(doc.pageContent)].filter((w) => q.has(w)).length,
    }))
      .filter((d) => d.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, this.k)
      .map((d) => d.doc);
  }
}

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));

/** Answers with the first context line of its prompt. */
export class ContextEchoChatModel extends BaseChatModel {
  static lc_name() {
    return 'ContextEchoChatModel';
  }
  _llmType() {
    return 'context-echo';
  }
  getLsParams() {
    return {
      ls_provider: 'local',
      ls_model_name: 'context-echo-1',
      ls_model_type: 'chat',
      ls_temperature: 0,
    };
  }
  async _generate(messages) {
    const prompt = messages.map((m) => String(m.content)).join('\n');
    const fact = /Context:\n(.+)/.exec(prompt)?.[1] ?? 'I do not know.';
    const message = new AIMessage({
      content: fact,
      usage_metadata: {
        input_tokens: tokens(prompt),
        output_tokens: tokens(fact),
        total_tokens: tokens(prompt) + tokens(fact),
      },
      response_metadata: { finish_reason: 'stop', model_name: 'context-echo-1' },
    });
    return { generations: [{ text: fact, message }] };
  }
}
