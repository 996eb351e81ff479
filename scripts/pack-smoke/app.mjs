// ESM user: import every package, then call Anthropic and LangChain (patched via the ESM hook).
import { createRequire } from 'node:module';
import Anthropic from '@anthropic-ai/sdk';
import { FakeListChatModel } from '@langchain/core/utils/testing';

const require = createRequire(import.meta.url);
const { checkExports, checkSpans, expectedPackages } = require('./check.cjs');
const { startFakeAnthropic } = require('./fake-anthropic-server.cjs');

for (const name of expectedPackages()) checkExports(name, await import(name));

const { server, url } = await startFakeAnthropic();
const client = new Anthropic({ apiKey: 'smoke-key', baseURL: url, maxRetries: 0 });
const msg = await client.messages.create({
  model: 'claude-smoke',
  max_tokens: 8,
  messages: [{ role: 'user', content: 'ping' }],
});
if (msg.content[0].text !== 'pong') throw new Error('unexpected Anthropic result');
const out = await new FakeListChatModel({ responses: ['hi'] }).invoke('hello');
if (out.content !== 'hi') throw new Error('unexpected LangChain result');
server.close();
console.log(checkSpans(globalThis.smokeExporter.getFinishedSpans()));
