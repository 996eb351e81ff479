/**
 * ESM: a child `node --import ./esm/register.mjs ./esm/app.mjs` process (vitest's own loader
 * hides ESM hooks) that loads our BUILT dist and the SDK through `import`. Run
 * `pnpm --filter @genai-otel/instrumentation-anthropic build` first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FakeAnthropic, startFakeAnthropic } from '@genai-otel/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const dist = here('../dist/index.js');

let server: FakeAnthropic;
beforeAll(async () => {
  if (!existsSync(dist)) {
    throw new Error(
      'dist/ is missing: run `pnpm --filter @genai-otel/instrumentation-anthropic build` first',
    );
  }
  server = await startFakeAnthropic();
});
afterAll(async () => {
  await server?.close();
});

describe.each([
  { alias: '@anthropic-ai/sdk', native: true },
  { alias: '@anthropic-ai/sdk-v0', native: false },
  { alias: '@anthropic-ai/sdk-v030', native: false },
  { alias: '@anthropic-ai/sdk', native: true, include: true },
])('ESM ($alias, include list: $include)', ({ alias, include }) => {
  it('patches the .mjs modules: one chat span per call, same results for the app', async () => {
    server.reset();
    const { stdout } = await run(
      process.execPath,
      ['--import', here('./esm/register.mjs'), here('./esm/app.mjs')],
      {
        cwd: here('.'),
        env: {
          ...process.env,
          BASE_URL: server.url,
          SDK_ALIAS: alias,
          ESM_INCLUDE: include ? '1' : '0',
        },
        timeout: 60_000,
      },
    );
    const out = JSON.parse(stdout);
    if (process.env.DEBUG_ESM)
      console.log(
        JSON.stringify(
          out.spans.map((s: any) => [s.name, s.attributes]),
          null,
          1,
        ),
      );
    expect(out.message).toBe('Hello there');
    expect(out.streamed).toBe('Hello there');
    expect(out.final).toBe('Hello there');
    const names = out.spans.map((s: any) => s.name);
    expect(names).toEqual([
      'chat claude-esm',
      'chat claude-esm',
      'chat claude-esm',
      'chat claude-esm',
    ]);
    for (const s of out.spans) {
      expect(s.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(s.attributes['server.port']).toBe(server.port);
      expect(s.attributes['gen_ai.usage.input_tokens']).toBe(10);
      expect(JSON.stringify(s)).not.toContain('sk-esm-secret');
    }
    expect(out.spans[1].attributes['gen_ai.request.stream']).toBe(true);
    expect(out.spans[1].attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(
      0,
    );
    expect(JSON.parse(out.spans[0].attributes['gen_ai.output.messages'])[0].parts[0].content).toBe(
      'Hello there',
    );
    expect(server.requests).toHaveLength(4);
  });
});
