/**
 * ESM: vitest's own loader hides ESM hooks, so each case runs a child `node --import` process
 * against the BUILT package (`pnpm --filter @genai-otel/instrumentation-llamaindex build`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from './fixtures.js';

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL('..', import.meta.url));

interface ChildSpan {
  name: string;
  spanId: string;
  parentId?: string;
  traceId: string;
  attributes: Record<string, unknown>;
}

async function runChild(specifier: string): Promise<ChildSpan[]> {
  const { stdout } = await run(
    process.execPath,
    ['--import', './test/esm/register.mjs', './test/esm/app.mjs', specifier],
    { cwd: pkgDir, timeout: 60_000, env: { ...process.env, OTEL_LOG_LEVEL: 'none' } },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last).spans;
}

describe.each(VERSIONS)('ESM: llamaindex $label in a child process', ({ specifier }) => {
  it('hooks the ESM entry and nests query, chat engine and LLM spans', async () => {
    expect(existsSync(`${pkgDir}/dist/index.js`), 'build the package first').toBe(true);
    const spans = await runChild(specifier);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentName = (s: ChildSpan) => (s.parentId ? byId.get(s.parentId)?.name : undefined);
    const queries = spans.filter((s) => s.name === 'query');
    expect(queries).toHaveLength(2);
    const llms = spans.filter((s) => s.name === 'chat fake-llm-1');
    expect(llms).toHaveLength(3);
    expect(llms.map(parentName).sort()).toEqual(['chat_engine', 'synthesize', 'synthesize']);
    for (const s of spans.filter((x) => x.name === 'synthesize'))
      expect(parentName(s)).toBe('query');
    for (const s of spans.filter((x) => x.name.startsWith('retrieval '))) {
      expect(['query', 'chat_engine']).toContain(parentName(s));
    }
    const streamed = llms.find((s) => s.attributes['gen_ai.request.stream'] === true);
    expect(streamed?.attributes['gen_ai.usage.output_tokens']).toBe(2);
    expect(typeof streamed?.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
    // captureContent is on in the child.
    expect(queries.map((q) => q.attributes['genai_otel.input']).sort()).toEqual([
      'Stream about LlamaIndex',
      'What is OpenTelemetry?',
    ]);
  }, 90_000);
});
