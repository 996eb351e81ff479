// A minimal Messages API on 127.0.0.1 for the Anthropic rows. Runs in the orchestrator so
// its CPU time is not charged to the measured process.
import { createServer } from 'node:http';

const body = (n) =>
  JSON.stringify({
    id: `msg_bench_${n}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-bench-1',
    content: [{ type: 'text', text: `Answer ${n}` }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 42,
      output_tokens: 12,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
  });

export async function startFakeAnthropic() {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const payload = body(++n);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'request-id': `req_bench_${n}`,
      });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
