// When no OTLP endpoint is configured, a tiny local OTLP/HTTP (JSON) sink stands in for
// Jaeger or a Collector, so the example runs offline and can report what it received.
import { createServer } from 'node:http';

export async function startOtlpSink() {
  const received = { requests: 0, spans: 0, traceIds: new Set() };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      received.requests++;
      try {
        const body = JSON.parse(raw || '{}');
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) {
              received.spans++;
              received.traceIds.add(span.traceId);
            }
      } catch {
        // not JSON: counted as a request only
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return { url: `http://127.0.0.1:${server.address().port}`, received, server };
}
