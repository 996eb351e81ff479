// Three support questions, one per request (and user). Offline by default: a local fake
// Messages API answers unless ANTHROPIC_API_KEY is set.
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from './fake-anthropic.mjs';
import { queryWithContext } from './rag.mjs';
import { telemetry } from './telemetry.mjs';

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live ? undefined : await startFakeAnthropic();
const client = live
  ? new Anthropic()
  : new Anthropic({ apiKey: 'offline', baseURL: fake.url, maxRetries: 0 });
const model = process.env.ANTHROPIC_MODEL ?? 'claude-sonnet-4-6';

const requests = [
  { question: 'How many days do I have for refunds?', userId: 'u-1001', requestId: 'req-1' },
  { question: 'When do orders ship with express shipping?', userId: 'u-2002', requestId: 'req-2' },
  ...(live
    ? []
    : [{ question: 'Why is support overloaded?', userId: 'u-3003', requestId: 'req-3' }]),
];

for (const { question, userId, requestId } of requests) {
  try {
    const { answer, sources } = await queryWithContext(client, model, question, {
      userId,
      requestId,
    });
    console.log(`[${requestId}] ${question}\n  -> ${answer} (${sources.join(', ')})`);
  } catch (err) {
    console.log(`[${requestId}] ${question}\n  -> failed: ${err.message}`);
  }
}

await fake?.close();
await telemetry.shutdown();
