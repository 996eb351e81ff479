/**
 * With the application's HTTP instrumentation (undici, as the SDK uses fetch), every HTTP
 * attempt is a CLIENT span under our chat span: retries are visible as sibling attempt spans
 * with `http.request.resend_count`, as the HTTP conventions prescribe, inside one logical span.
 */
import { messageBody } from '@genai-otel/test-utils';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BASE_PARAMS, client, createHarness, type Harness, loadSdk, SDKS } from './helpers.js';

let h: Harness;
let undici: UndiciInstrumentation;

beforeAll(async () => {
  h = await createHarness();
  undici = new UndiciInstrumentation();
  undici.setTracerProvider(h.t.tracerProvider);
  undici.enable();
});
afterAll(async () => {
  undici.disable();
  h.inst.disable();
  await h.server.close();
  await h.t.shutdown();
});
beforeEach(() => {
  h.t.reset();
  h.server.reset();
});

const parentOf = (s: any) => s.parentSpanContext?.spanId ?? s.parentSpanId;

// Older SDKs send through node-fetch (the `http` module), which undici's instrumentation does not see.
describe.each(SDKS.filter((s) => s.modern))(
  '@anthropic-ai/sdk $version with HTTP instrumentation',
  (sdk) => {
    let Anthropic: any;
    beforeAll(() => {
      Anthropic = loadSdk(sdk.alias);
    });

    it('HTTP attempt spans (retries included) are children of the one chat span', async () => {
      const c = client(Anthropic, h.server, { maxRetries: 2 });
      h.server.enqueue(
        { kind: 'error', status: 529, type: 'overloaded_error' },
        { kind: 'json', body: messageBody() },
      );
      await c.messages.create(BASE_PARAMS);
      const spans = h.t.spans();
      const chat = spans.filter((s: any) => s.name === 'chat claude-test');
      expect(chat).toHaveLength(1);
      const http = spans.filter(
        (s: any) => s.attributes['http.request.method'] === 'POST' && s !== chat[0],
      );
      expect(http).toHaveLength(2);
      for (const s of http) expect(parentOf(s)).toBe(chat[0].spanContext().spanId);
      expect(http.map((s: any) => s.attributes['http.response.status_code']).sort()).toEqual([
        200, 529,
      ]);
      expect(chat[0].attributes['http.request.resend_count']).toBe(1);
      // The server saw our context (propagated by the SDK or by the HTTP instrumentation).
      for (const r of h.server.requests)
        expect(String(r.headers.traceparent)).toContain(chat[0].spanContext().traceId);
    });
  },
);
