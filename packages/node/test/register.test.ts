/**
 * `@genai-otel/node/register` in real child processes (vitest's loader hides ESM hooks):
 * ESM via `--import`, CommonJS via `--require`, configured by environment variables only.
 * Uses the BUILT package (`pnpm --filter @genai-otel/node build`).
 */
import { join } from 'node:path';
import { type OtlpReceiver, startOtlpReceiver } from '@genai-otel/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, packageDir, runNode, treeLines } from './helpers.js';

const fixtures = join(packageDir, 'test', 'fixtures');
let receiver: OtlpReceiver;

beforeAll(async () => {
  assertBuilt();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe.each([
  ['ESM', '--import', 'app.mjs'],
  ['CommonJS', '--require', 'app.cjs'],
])('register entry (%s)', { timeout: 90_000 }, (_label, flag, app) => {
  it('prints the console tree by default, with the Anthropic call under the app span', async () => {
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: { OTEL_SERVICE_NAME: 'fixture' },
    });
    expect(r.stdout).toContain('answer: Paris.');
    expect(r.code, r.stderr).toBe(0);
    // The SDK's own HTTP request (fetch, traced by the undici instrumentation) nests under it.
    expect(treeLines(r.stderr)).toEqual([
      'handle_request (T)',
      '└─ chat claude-test (T) in 10 / out 5 tokens',
      '   └─ POST (T)',
    ]);
  });

  it('exports over OTLP (and to the console) from the standard variables, flushing at exit', async () => {
    receiver.reset();
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: {
        OTEL_SERVICE_NAME: `fixture-${app}`,
        OTEL_TRACES_EXPORTER: 'otlp,console',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // A long batch delay: only the exit-time flush can deliver the spans.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('handle_request');
    const spans = await receiver.waitForSpans(2);
    const chat = spans.find((s) => s.name === 'chat claude-test')!;
    const root = spans.find((s) => s.name === 'handle_request')!;
    expect(chat.parentSpanId).toBe(root.spanId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
    });
    expect(chat.resource['service.name']).toBe(`fixture-${app}`);
  });

  it('records prompts and completions only when the content-capture variable says so', async () => {
    receiver.reset();
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const spans = await receiver.waitForSpans(2);
    const chat = spans.find((s) => s.name === 'chat claude-test')!;
    expect(String(chat.attributes['gen_ai.input.messages'])).toContain('Capital of France?');
    expect(String(chat.attributes['gen_ai.output.messages'])).toContain('Paris.');
  });

  it('does nothing with OTEL_SDK_DISABLED=true', async () => {
    const r = await runNode([flag, '@genai-otel/node/register', app], {
      cwd: fixtures,
      env: { OTEL_SDK_DISABLED: 'true' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('answer: Paris.');
    expect(treeLines(r.stderr)).toEqual([]);
  });
});

describe('register entry: exit behaviour is the application’s', { timeout: 90_000 }, () => {
  it('keeps an explicit process.exit code (and the finished trace was already printed)', async () => {
    const r = await runNode(['--import', '@genai-otel/node/register', 'app.mjs'], {
      cwd: fixtures,
      env: { FIXTURE_EXIT_CODE: '3' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('handle_request');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s without an app handler: flushes, then dies by that signal as it would without us',
    async (signal) => {
      receiver.reset();
      const r = await runNode(['--import', '@genai-otel/node/register', 'server.mjs'], {
        cwd: fixtures,
        env: {
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_BSP_SCHEDULE_DELAY: '60000',
        },
        onStdout: (text, child) => {
          if (text.includes('ready')) child.kill(signal);
        },
      });
      expect(r.signal).toBe(signal);
      expect((await receiver.waitForSpans(1))[0]!.name).toBe('startup');
    },
  );

  it('on SIGTERM with an app handler: flushes and lets the app decide how to exit', async () => {
    receiver.reset();
    const r = await runNode(['--import', '@genai-otel/node/register', 'server.mjs'], {
      cwd: fixtures,
      env: {
        FIXTURE_OWN_HANDLER: '1',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      },
      onStdout: (text, child) => {
        if (text.includes('ready') && !text.includes('app handler')) child.kill('SIGTERM');
      },
    });
    expect(r.stdout).toContain('app handler ran');
    expect(r.code).toBe(7);
    expect((await receiver.waitForSpans(1))[0]!.name).toBe('startup');
  });
});

describe('setupTelemetry in code (CommonJS, no register entry)', { timeout: 90_000 }, () => {
  it('patches a framework required after set-up and stamps withGenAIContext values', async () => {
    const r = await runNode(['in-code.cjs'], { cwd: fixtures });
    expect(r.code, r.stderr).toBe(0);
    expect(treeLines(r.stderr)).toEqual([
      'chat claude-test (T) in 10 / out 5 tokens user.id=u-7',
      '└─ POST (T)',
    ]);
    expect(r.stdout).toContain('"name":"console","exported":2');
  });
});
