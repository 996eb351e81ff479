/**
 * Several backends from the environment alone, through the zero-code register entry in a
 * child process (BUILT package): the indexed `GENAI_OTEL_DESTINATION_<N>_*` variables and the
 * JSON `GENAI_OTEL_DESTINATIONS`. Everything is flushed at exit, so what each receiver holds
 * once the child has exited is all it will ever get.
 */
import { join } from 'node:path';
import { type OtlpReceiver, startOtlpReceiver } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, packageDir, runNode } from './helpers.js';

const fixtures = join(packageDir, 'test', 'fixtures');
let alerts: OtlpReceiver;
let all: OtlpReceiver;

beforeAll(async () => {
  assertBuilt();
  alerts = await startOtlpReceiver();
  all = await startOtlpReceiver();
});
afterAll(async () => {
  await alerts?.close();
  await all?.close();
});
beforeEach(() => {
  alerts.reset();
  all.reset();
});

function check(r: { code: number | null; stderr: string; stdout: string }) {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('answer: Paris.');
  // The trace has no error: the errors-only backend got nothing, the other the whole trace.
  expect(alerts.spans).toHaveLength(0);
  const names = all.spans.map((s) => s.name).sort();
  expect(names).toEqual(['POST', 'chat claude-test', 'handle_request']);
  const byName = Object.fromEntries(all.spans.map((s) => [s.name, s]));
  expect(byName['chat claude-test']!.parentSpanId).toBe(byName.handle_request!.spanId);
  expect(byName.POST!.parentSpanId).toBe(byName['chat claude-test']!.spanId);
  for (const s of all.spans) {
    expect(s.traceState).toBe('ot=th:0');
    expect(s.attributes.SampleRate).toBe(1);
  }
  // The console destination printed the tree too.
  expect(r.stderr).toContain('handle_request');
}

describe.each([
  ['ESM', '--import', 'app.mjs'],
  ['CommonJS', '--require', 'app.cjs'],
])('destinations from the environment (%s)', { timeout: 90_000 }, (_label, flag, app) => {
  it('indexed GENAI_OTEL_DESTINATION_<N>_* variables', async () => {
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: {
        GENAI_OTEL_DESTINATION_0_ENDPOINT: alerts.url,
        GENAI_OTEL_DESTINATION_0_SELECT: 'errors',
        GENAI_OTEL_DESTINATION_1_ENDPOINT: all.url,
        GENAI_OTEL_DESTINATION_1_PROTOCOL: 'http/json',
        GENAI_OTEL_DESTINATION_1_WHERE: 'gen_ai.provider.name=anthropic',
        GENAI_OTEL_DESTINATION_2_EXPORTER: 'console',
        OTEL_BSP_SCHEDULE_DELAY: '60000', // only the exit-time flush can deliver
      },
    });
    check(r);
    expect(all.requests[0]!.encoding).toBe('json');
  });

  it('GENAI_OTEL_DESTINATIONS (JSON)', async () => {
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: {
        GENAI_OTEL_DESTINATIONS: JSON.stringify([
          { exporter: 'otlp', endpoint: alerts.url, select: { errorsOnly: true } },
          { exporter: 'otlp', endpoint: all.url, select: { all: true } },
          { exporter: 'console' },
        ]),
      },
    });
    check(r);
  });
});

describe('HTTP client spans through the register entry (ESM)', { timeout: 90_000 }, () => {
  it('node:http (default and named imports) and fetch nest under the active span', async () => {
    const r = await runNode(['--import', '@genai-otel/node/register', 'http-calls.mjs'], {
      cwd: fixtures,
      env: {},
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('(node:') && !l.includes('--trace-warnings'))
      .map((l) => l.replace(/\(\d+(\.\d+)? (ms|s)\)/g, '(T)'));
    expect(lines).toEqual(['outer (T)', '├─ GET (T)', '├─ GET (T)', '└─ GET (T)']);
  });
});
