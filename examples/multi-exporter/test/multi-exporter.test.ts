/**
 * Runs the example as a child process with its OTLP destination pointed at a local receiver
 * and Prometheus on a free port. Checks that adaptive sampling kept every error trace and the
 * slow one (whole), that the console and OTLP destinations got the same kept traces, and that
 * the Prometheus metrics count every call (sampled or not). Which fast traces the baseline
 * keeps is random by design, so only their shape is checked.
 */
import { fileURLToPath } from 'node:url';
import {
  consoleTrees,
  runExample as sharedRunExample,
  startOtlpReceiver,
  unusedPort,
} from '@genai-otel/test-utils';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

const runExample = (env: Record<string, string>) =>
  sharedRunExample(dir, ['--import', './src/telemetry.mjs', 'src/main.mjs'], env);

const trees = consoleTrees;

describe('example: multi-exporter', () => {
  it('console tree + OTLP + Prometheus with adaptive sampling', { timeout: 90_000 }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const promPort = await unusedPort();
      const r = await runExample({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('requests: 40, failed: 2');

      // Console: every kept trace is whole (root + chat + its HTTP request) and says why it was kept.
      const kept = trees(r.stderr);
      for (const tree of kept) {
        expect(tree).toMatch(
          /^handle_question sampling\.reason=(error|slow|baseline)( ✗ .+)?\n└─ chat claude-haiku-4-5( in \d+ \/ out \d+ tokens| ✗ overloaded_error: .+)\n {3}└─ POST( ✗ 529)?$/,
        );
      }
      const errors = kept.filter((t) => t.includes('sampling.reason=error'));
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(e).toContain('✗ overloaded_error');
      expect(kept.some((t) => t.includes('sampling.reason=slow'))).toBe(true);
      expect(kept.length).toBeLessThan(40);

      // OTLP: exactly the traces the console printed, with the sampling attributes.
      const spans = await receiver.waitForSpans(kept.length * 3);
      const traceIds = new Set(spans.map((s) => s.traceId));
      expect(traceIds.size).toBe(kept.length);
      expect(spans).toHaveLength(kept.length * 3);
      const roots = spans.filter((s) => s.name === 'handle_question');
      expect(roots.filter((s) => s.attributes['sampling.reason'] === 'error')).toHaveLength(2);
      const slow = roots.filter((s) => s.attributes['sampling.reason'] === 'slow');
      expect(slow.map((s) => s.attributes['app.question_index'])).toContain(31);
      for (const s of spans) expect(s.traceState).toMatch(/ot=th:/);
      expect(r.stdout).toMatch(/exporter console: exported \d+ spans, dropped 0/);
      expect(r.stdout).toContain(`exporter otlp: exported ${kept.length * 3} spans, dropped 0`);

      // Prometheus: all 40 calls counted, by outcome.
      const count = (re: RegExp) => Number(re.exec(r.stdout)?.[1]);
      expect(
        count(
          /prometheus: gen_ai_client_operation_duration_count\{[^}]*gen_ai_response_model="claude-haiku-4-5"[^}]*\} (\d+)/,
        ),
      ).toBe(38);
      expect(
        count(
          /prometheus: gen_ai_client_operation_duration_count\{[^}]*error_type="overloaded_error"[^}]*\} (\d+)/,
        ),
      ).toBe(2);
      expect(r.stdout).toMatch(
        /prometheus: gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="input"[^}]*\} \d+/,
      );
    } finally {
      await receiver.close();
    }
  });
});
