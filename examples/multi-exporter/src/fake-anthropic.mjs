// A local stand-in for the Anthropic Messages API so the example runs offline. Questions
// containing "overload" get a 529 overloaded_error; "slow" ones are answered after 1.2 s.
import { createServer } from 'node:http';

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));

export async function startFakeAnthropic() {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      const question = String(body.messages?.at(-1)?.content ?? '');
      if (/overload/.test(question)) {
        res.writeHead(529, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'error',
            error: { type: 'overloaded_error', message: 'Overloaded' },
          }),
        );
        return;
      }
      const reply = `Answer to: ${question}`;
      const send = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'msg_local',
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text: reply }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: tokens(question) + 8, output_tokens: tokens(reply) },
          }),
        );
      };
      if (/slow/.test(question)) setTimeout(send, 1200);
      else send();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
