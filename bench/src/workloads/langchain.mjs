// Offline LangChain workloads: a fake chat model (with token usage, like a provider
// reports it), a prompt template, a string parser and a fake retriever.
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { Document } from '@langchain/core/documents';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';

class BenchChatModel extends BaseChatModel {
  static lc_name() {
    return 'BenchChatModel';
  }
  calls = 0;
  _llmType() {
    return 'bench-fake';
  }
  getLsParams(options) {
    return {
      ls_provider: 'bench',
      ls_model_name: 'bench-model-1',
      ls_model_type: 'chat',
      ls_temperature: 0.2,
      ls_max_tokens: 256,
      ...(options?.stop ? { ls_stop: options.stop } : {}),
    };
  }
  async _generate(messages) {
    this.calls += 1;
    const last = messages[messages.length - 1];
    const text = `Answer ${this.calls}: ${String(last?.content ?? '').slice(0, 40)}`;
    const message = new AIMessage({
      content: text,
      id: `msg_${this.calls}`,
      response_metadata: { model_name: 'bench-model-1', finish_reason: 'stop' },
      usage_metadata: { input_tokens: 42, output_tokens: 12, total_tokens: 54 },
    });
    return {
      generations: [{ text, message, generationInfo: { finish_reason: 'stop' } }],
      llmOutput: { tokenUsage: { promptTokens: 42, completionTokens: 12, totalTokens: 54 } },
    };
  }
}

class BenchRetriever extends BaseRetriever {
  static lc_name() {
    return 'BenchRetriever';
  }
  lc_namespace = ['bench', 'retrievers'];
  docs = [
    new Document({
      pageContent: 'OpenTelemetry is a CNCF observability framework.',
      metadata: { id: 'd1', score: 0.91 },
    }),
    new Document({
      pageContent: 'Spans describe a unit of work with a start and end.',
      metadata: { id: 'd2', score: 0.84 },
    }),
    new Document({
      pageContent: 'LangChain composes runnables into chains.',
      metadata: { id: 'd3', score: 0.77 },
    }),
    new Document({
      pageContent: 'Batch span processors export spans in the background.',
      metadata: { id: 'd4', score: 0.7 },
    }),
  ];
  async _getRelevantDocuments() {
    return this.docs;
  }
}

const formatDocs = (docs) => docs.map((d) => d.pageContent).join('\n');

function chatWorkload() {
  const model = new BenchChatModel({});
  let i = 0;
  return { invoke: () => model.invoke(`What is span number ${i++}?`) };
}

function pipeWorkload() {
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'You are a concise assistant. Answer in one sentence.'],
    ['human', '{question}'],
  ]);
  const chain = prompt.pipe(new BenchChatModel({})).pipe(new StringOutputParser());
  let i = 0;
  return { invoke: () => chain.invoke({ question: `What is span number ${i++}?` }) };
}

function ragChain() {
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Answer the question using only this context:\n{context}'],
    ['human', '{question}'],
  ]);
  const retriever = new BenchRetriever();
  return RunnableSequence.from([
    {
      context: retriever.pipe(RunnableLambda.from(formatDocs)),
      question: new RunnablePassthrough(),
    },
    prompt,
    new BenchChatModel({}),
    new StringOutputParser(),
  ]);
}

function ragWorkload() {
  const chain = ragChain();
  let i = 0;
  return { invoke: () => chain.invoke(`What is span number ${i++}?`) };
}

function ragConcurrentWorkload() {
  const chain = ragChain();
  let i = 0;
  return { invoke: () => chain.invoke(`What is span number ${i++}?`), concurrency: 200 };
}

export const create = {
  'lc-chat': chatWorkload,
  'lc-pipe': pipeWorkload,
  'lc-rag': ragWorkload,
  'lc-rag-200': ragConcurrentWorkload,
};

export async function settle() {
  await awaitAllCallbacks();
}
