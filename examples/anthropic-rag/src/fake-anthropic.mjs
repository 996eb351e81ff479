// A local stand-in for the Anthropic Messages API (POST /v1/messages), so the example runs
// offline. It answers in the JSON shape the prompt asks for, quoting the first context line,
// with token counts derived from the text (deterministic). A question containing "overload"
// gets the API's 529 overloaded_error, to show how failures look in a trace.
import { createServer } from 'node:http';

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));

export async function startFakeAnthropic() {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      const prompt = (body.messages ?? [])
        .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
        .join('\n');
      if (req.url !== '/v1/messages' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      if (/overload/i.test(prompt.split('Question:').pop() ?? '')) {
        res.writeHead(529, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'error',
            error: { type: 'overloaded_error', message: 'Overloaded' },
          }),
        );
        return;
      }
      const firstFact = /\[(kb-\d+)\] ([^\n]+)/.exec(prompt);
      const answer = JSON.stringify({
        answer: firstFact ? firstFact[2] : 'I do not know.',
        sources: firstFact ? [firstFact[1]] : [],
      });
      const system = typeof body.system === 'string' ? body.system : '';
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_local' });
      res.end(
        JSON.stringify({
          id: `msg_local_${tokens(prompt)}`,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [{ type: 'text', text: answer }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: tokens(system + prompt), output_tokens: tokens(answer) },
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
