import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('./esm/', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// ESM hooks are invisible under vitest's loader: run a real `node --import` child against
// the BUILT package (`pnpm --filter @genai-otel/instrumentation-langchain build` first).
describe('ESM app (node --import register.mjs app.mjs)', () => {
  it('hooks the ESM build of @langchain/core', async () => {
    if (!existsSync(dist))
      throw new Error(
        'build the package first: pnpm --filter @genai-otel/instrumentation-langchain build',
      );
    const { stdout } = await run(process.execPath, ['--import', './register.mjs', 'app.mjs'], {
      cwd: dir,
      env: { ...process.env, LANGCHAIN_CALLBACKS_BACKGROUND: undefined },
      timeout: 60_000,
    });
    const spans: any[] = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const byName = (n: string) => {
      const s = spans.find((x) => x.name === n);
      if (!s) throw new Error(`no ${n} in ${spans.map((x) => x.name).join(', ')}`);
      return s;
    };
    const request = byName('esm-request');
    const seq = byName('RunnableSequence');
    const chat = byName('chat esm-model');
    expect(seq.parentId).toBe(request.spanId);
    expect(chat.parentId).toBe(seq.spanId);
    expect(byName('inside-model').parentId).toBe(chat.spanId);
    expect(chat.kind).toBe(2); // CLIENT
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'esm-model',
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 2,
    });
    expect(byName('retrieval FakeRetriever').parentId).toBe(request.spanId);
    expect(byName('execute_tool esm_tool').parentId).toBe(request.spanId);
    const streamed = byName('chat FakeListChatModel');
    expect(streamed.attributes['gen_ai.request.stream']).toBe(true);
    const evented = byName('chat esm-events');
    expect(evented.parentId).toBe(request.spanId);
    expect(evented.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  });
});
