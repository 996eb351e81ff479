/**
 * Runs the example exactly as `pnpm start` does (`node --import @genai-otel/node/register`),
 * and checks the trees it prints: every Anthropic and LangChain call traced with no set-up
 * code in the app. A second run exports over OTLP (HTTP/protobuf) configured by variables only.
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
  sharedRunExample(dir, ['--import', '@genai-otel/node/register', 'src/app.mjs'], env);

const trees = consoleTrees;

describe('example: esm-zero-code', () => {
  it('traces every call with no set-up code (console tree by default)', {
    timeout: 90_000,
  }, async () => {
    const r = await runExample({});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('create: You asked: Name one use of OpenTelemetry.');
    expect(r.stdout).toContain('stream: You asked: Stream a short greeting.');
    expect(r.stdout).toContain('events: You asked: Say hello in events.');
    // Each SDK call's HTTP request (HTTP client spans, on by default) nests under its chat span.
    expect(trees(r.stderr)).toEqual([
      'chat claude-haiku-4-5 in 15 / out 11 tokens\n└─ POST',
      'chat claude-haiku-4-5 in 14 / out 9 tokens first chunk T\n└─ POST',
      [
        'translate',
        '├─ ChatPromptTemplate',
        '└─ call_anthropic',
        '   └─ chat claude-haiku-4-5 in 18 / out 13 tokens',
        '      └─ POST',
      ].join('\n'),
      // ChatAnthropic.streamEvents(): the LangChain chat span, the SDK's inside (its tokens).
      [
        'chat claude-haiku-4-5 first chunk T',
        '└─ chat claude-haiku-4-5 in 13 / out 8 tokens first chunk T',
        '   └─ POST',
      ].join('\n'),
    ]);
  });

  it('exports over OTLP from the standard variables alone', { timeout: 90_000 }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await runExample({
        OTEL_SERVICE_NAME: 'zero-code',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      expect(r.code, r.stderr).toBe(0);
      // OTLP configured: no console tree unless asked for.
      expect(r.stderr.trim()).toBe('');
      const spans = await receiver.waitForSpans(12);
      expect(receiver.requests.every((q) => q.encoding === 'protobuf')).toBe(true);
      const chats = spans.filter((s) => s.name === 'chat claude-haiku-4-5');
      expect(chats).toHaveLength(5);
      const parentName = (c: (typeof spans)[number]) =>
        spans.find((s) => s.spanId === c.parentSpanId)?.name;
      expect(chats.filter((c) => parentName(c) === 'call_anthropic')).toHaveLength(1);
      // The LangChain chat span of the event stream has the SDK's chat span under it.
      expect(chats.filter((c) => parentName(c) === 'chat claude-haiku-4-5')).toHaveLength(1);
      expect(chats.every((c) => c.resource['service.name'] === 'zero-code')).toBe(true);
      expect(chats.every((c) => c.attributes['gen_ai.provider.name'] === 'anthropic')).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
