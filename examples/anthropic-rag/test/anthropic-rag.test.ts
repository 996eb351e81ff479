/**
 * Runs the example as a child process (as `pnpm start` does), with the console tree and an
 * OTLP export to a local receiver, and checks the shape of each trace (not its timings).
 */
import { fileURLToPath } from 'node:url';
import {
  consoleTrees,
  runExample as sharedRunExample,
  startOtlpReceiver,
} from '@genai-otel/test-utils';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

const runExample = (env: Record<string, string>) =>
  sharedRunExample(dir, ['--import', './src/telemetry.mjs', 'src/main.mjs'], env);

const trees = consoleTrees;

describe('example: anthropic-rag', () => {
  it('prints one query_with_context tree per request and exports the same spans over OTLP', {
    timeout: 90_000,
  }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await runExample({
        OTEL_TRACES_EXPORTER: 'console,otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('-> Refunds are available within 30 days');
      expect(r.stdout).toContain('[req-3] Why is support overloaded?\n  -> failed:');

      expect(trees(r.stderr)).toEqual([
        [
          'query_with_context user_id=u-1001 request_id=req-1',
          '├─ assemble_context',
          '├─ construct_prompt',
          '├─ chat claude-sonnet-4-6 in 76 / out 27 tokens',
          '│  └─ POST', // the SDK's HTTP request (HTTP client spans, on by default)
          '└─ parse_response',
        ].join('\n'),
        [
          'query_with_context user_id=u-2002 request_id=req-2',
          '├─ assemble_context',
          '├─ construct_prompt',
          '├─ chat claude-sonnet-4-6 in 78 / out 26 tokens',
          '│  └─ POST',
          '└─ parse_response',
        ].join('\n'),
        expect.stringMatching(
          /^query_with_context user_id=u-3003 request_id=req-3 ✗ .+\n├─ assemble_context\n├─ construct_prompt\n└─ chat claude-sonnet-4-6 ✗ overloaded_error: .+\n {3}└─ POST ✗ 529$/,
        ),
      ]);

      const spans = await receiver.waitForSpans(17);
      expect(spans).toHaveLength(17); // 14 app and GenAI spans + 3 HTTP client spans
      // Baggage allowlist: every span of a request carries its user and request ids.
      for (const s of spans) {
        expect(s.attributes.user_id).toMatch(/^u-\d+$/);
        expect(s.attributes.request_id).toMatch(/^req-\d$/);
      }
      const chats = spans.filter((s) => s.name === 'chat claude-sonnet-4-6');
      expect(chats).toHaveLength(3);
      const roots = spans.filter((s) => s.name === 'query_with_context');
      for (const chat of chats) {
        const root = roots.find((r) => r.traceId === chat.traceId)!;
        expect(chat.parentSpanId).toBe(root.spanId);
        expect(chat.attributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-6',
          'gen_ai.request.max_tokens': 300,
          user_id: root.attributes.user_id,
        });
      }
      const failed = chats.find((c) => c.attributes.request_id === 'req-3')!;
      expect(failed.status.code).toBe(2);
      expect(failed.attributes['error.type']).toBe('overloaded_error');
      // Prompts are not recorded unless content capture is turned on.
      expect(chats[0]!.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(spans[0]!.resource).toMatchObject({
        'service.name': 'anthropic-rag',
        'service.version': '1.0.0',
        'deployment.environment.name': 'local',
      });
    } finally {
      await receiver.close();
    }
  });
});
