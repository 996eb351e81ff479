// A plain ESM LangChain app; prints the spans it produced as JSON on the last stdout line.

import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel, FakeRetriever } from '@langchain/core/utils/testing';
import { trace } from '@opentelemetry/api';

const tracer = trace.getTracer('app');

class UsageModel extends BaseChatModel {
  _llmType() {
    return 'esm-fake';
  }
  getLsParams() {
    return { ls_provider: 'openai', ls_model_name: 'esm-model', ls_model_type: 'chat' };
  }
  async _generate() {
    tracer.startActiveSpan('inside-model', (s) => s.end());
    const message = new AIMessage({
      content: 'esm answer',
      usage_metadata: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
    return { generations: [{ text: 'esm answer', message }] };
  }
}

const chain = ChatPromptTemplate.fromMessages([['human', '{q}']])
  .pipe(new UsageModel({}))
  .pipe(new StringOutputParser());

await tracer.startActiveSpan('esm-request', async (span) => {
  await chain.invoke({ q: 'hi' });
  await new FakeRetriever().invoke('docs');
  await tool(async () => 'done', { name: 'esm_tool', description: 'd' }).invoke('x');
  for await (const _ of await new FakeListChatModel({ responses: ['streamed'] }).stream('s')) {
    // consume
  }
  // LangChain 1.2+'s chat model event protocol (no callbacks run); its span ends right after.
  await new FakeListChatModel({ responses: ['evented'] }).streamEvents('e', {
    runName: 'esm-events',
  });
  await new Promise((resolve) => setImmediate(resolve));
  span.end();
});

process.stdout.write(`\n${JSON.stringify(globalThis.__finishedSpans)}\n`);
