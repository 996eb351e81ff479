// A local stand-in for the Anthropic Messages API (JSON and server-sent events), so the example
// runs offline. Replies echo the last user message; token counts derive from the text.
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
      const last = body.messages?.at(-1);
      const question =
        typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content);
      const reply = `You asked: ${question.slice(0, 40)}`;
      const usage = {
        input_tokens: tokens(JSON.stringify(body.messages)),
        output_tokens: tokens(reply),
      };
      if (!body.stream) {
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
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (event, data) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      send('message_start', {
        message: {
          id: 'msg_local_stream',
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
        },
      });
      send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      for (const word of reply.split(/(?= )/)) {
        send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } });
      }
      send('content_block_stop', { index: 0 });
      send('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
