// An ESM application: `import` of the SDK (its .mjs files), three kinds of calls, then the
// finished spans as JSON on stdout. SDK_ALIAS picks the SDK version, BASE_URL the fake API.
const { default: Anthropic } = await import(process.env.SDK_ALIAS ?? '@anthropic-ai/sdk');
const client = new Anthropic({
  apiKey: 'sk-esm-secret',
  baseURL: process.env.BASE_URL,
  maxRetries: 0,
});
const params = { model: 'claude-esm', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

const message = await client.messages.create(params);
let streamed = '';
for await (const ev of await client.messages.create({ ...params, stream: true })) {
  if (ev.type === 'content_block_delta') streamed += ev.delta.text;
}
const final = await client.messages.stream(params).finalMessage();
await client.beta.messages.create(params);

process.stdout.write(
  JSON.stringify({
    message: message.content[0].text,
    streamed,
    final: final.content[0].text,
    spans: globalThis.__finishedSpans(),
  }),
);
