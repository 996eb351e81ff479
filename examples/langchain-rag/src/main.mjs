// 1. A retrieval chain: retriever -> prompt -> chat model -> string parser.
// 2. A tool-calling agent (LangChain's createAgent) that looks up an order with a tool.
// Offline: the models are local stand-ins (see models.mjs); the traces are the real thing.
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { createAgent, FakeToolCallingModel, tool } from 'langchain';
import { z } from 'zod';
import { ContextEchoChatModel, KeywordRetriever } from './models.mjs';
import { telemetry } from './telemetry.mjs';

// --- 1. retrieval chain --------------------------------------------------------------------
const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'Answer the question from the context only.'],
  ['human', 'Context:\n{context}\n\nQuestion: {question}'],
]);
const formatDocs = (docs) => docs.map((d) => d.pageContent).join('\n');
const ragChain = RunnableSequence.from([
  { context: new KeywordRetriever({ k: 2 }).pipe(formatDocs), question: new RunnablePassthrough() },
  prompt,
  new ContextEchoChatModel({}),
  new StringOutputParser(),
]).withConfig({ runName: 'rag_chain' });

const answer = await ragChain.invoke('How tall is the Eiffel Tower?');
console.log(`rag_chain: ${answer}`);

// --- 2. tool-calling agent -------------------------------------------------------------------
const lookupOrder = tool(
  async ({ orderId }) => `Order ${orderId}: shipped on Monday, arriving Wednesday.`,
  {
    name: 'lookup_order',
    description: 'Looks up the status of an order by id',
    schema: z.object({ orderId: z.string() }),
  },
);
const agent = createAgent({
  // Scripted: first turn calls the tool, second turn answers.
  model: new FakeToolCallingModel({
    toolCalls: [[{ name: 'lookup_order', args: { orderId: 'A-17' }, id: 'call_1' }], []],
  }),
  tools: [lookupOrder],
  name: 'support_agent',
});
const result = await agent.invoke({
  messages: [{ role: 'user', content: 'Where is my order A-17?' }],
});
const toolReply = result.messages.find((m) => m.getType?.() === 'tool');
console.log(`support_agent: tool said "${toolReply?.content}"`);

await telemetry.shutdown();
