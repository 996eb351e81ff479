// Anthropic Messages API call against the orchestrator's fake server on 127.0.0.1.
import Anthropic from '@anthropic-ai/sdk';

function messagesWorkload(spec, rowState) {
  const client = new Anthropic({
    apiKey: 'bench-key',
    baseURL: spec.anthropicUrl,
    maxRetries: 0,
    ...(rowState.clientOptions ?? {}),
  });
  let i = 0;
  return {
    invoke: () =>
      client.messages.create({
        model: 'claude-bench-1',
        max_tokens: 256,
        temperature: 0.2,
        system: 'You are a concise assistant.',
        messages: [{ role: 'user', content: `What is span number ${i++}?` }],
      }),
  };
}

export const create = { 'an-messages': messagesWorkload };
