// A plain ESM application with no telemetry code at all. Run it with
//   node --import @genai-otel/node/register src/app.mjs
// and every Anthropic and LangChain call is traced (the console tree by default; OTLP,
// Prometheus, sampling... from the standard OTEL_* variables).
import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { startFakeAnthropic } from './fake-anthropic.mjs';

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live ? undefined : await startFakeAnthropic();
const client = live
  ? new Anthropic()
  : new Anthropic({ apiKey: 'offline', baseURL: fake.url, maxRetries: 0 });
const model = process.env.ANTHROPIC_MODEL ?? 'claude-haiku-4-5';

// 1. A plain call.
const message = await client.messages.create({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Name one use of OpenTelemetry.' }],
});
console.log(`create: ${message.content[0].text}`);

// 2. A streamed call.
const stream = client.messages.stream({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Stream a short greeting.' }],
});
let streamed = '';
stream.on('text', (t) => {
  streamed += t;
});
await stream.finalMessage();
console.log(`stream: ${streamed}`);

// 3. A LangChain chain that calls Anthropic inside one of its steps: the chat span nests
//    under the chain's spans.
const chain = ChatPromptTemplate.fromTemplate('Translate to French: {text}')
  .pipe(
    RunnableLambda.from(async (promptValue) => {
      const reply = await client.messages.create({
        model,
        max_tokens: 100,
        messages: [{ role: 'user', content: promptValue.toString() }],
      });
      return reply.content[0].text;
    }).withConfig({ runName: 'call_anthropic' }),
  )
  .withConfig({ runName: 'translate' });
console.log(`chain: ${await chain.invoke({ text: 'good morning' })}`);

// 4. A LangChain chat model (on the Anthropic SDK copy @langchain/anthropic pins), streamed
//    with LangChain's event protocol: its chat span, with the SDK's chat span inside.
const chat = new ChatAnthropic({
  model,
  maxTokens: 100,
  maxRetries: 0,
  ...(live ? {} : { apiKey: 'offline', anthropicApiUrl: fake.url }),
});
let evented = '';
for await (const event of chat.streamEvents('Say hello in events.')) {
  if (event.event === 'content-block-delta' && event.delta?.type === 'text-delta')
    evented += event.delta.text;
}
console.log(`events: ${evented}`);

await fake?.close();
