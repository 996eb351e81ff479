// A minimal Messages API on 127.0.0.1 for the pack smoke test.
const http = require('node:http');

exports.startFakeAnthropic = () =>
  new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const request = JSON.parse(body || '{}');
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_smoke' });
        res.end(
          JSON.stringify({
            id: 'msg_smoke',
            type: 'message',
            role: 'assistant',
            model: request.model,
            content: [{ type: 'text', text: 'pong' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 7, output_tokens: 2 },
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
    );
  });
