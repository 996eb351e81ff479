// A small ESM LangChain application: one prompt -> model -> parser chain, invoked once.
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { FakeListChatModel } from '@langchain/core/utils/testing';

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'You are a concise assistant.'],
  ['human', '{question}'],
]);
const model = new FakeListChatModel({
  responses: ['OpenTelemetry is an observability framework.'],
});
const chain = prompt
  .pipe(model)
  .pipe(new StringOutputParser())
  .pipe(RunnableLambda.from((s) => s.trim()));
const answer = await chain.invoke({ question: 'What is OpenTelemetry?' });
if (typeof answer !== 'string' || answer.length === 0) process.exit(3);
