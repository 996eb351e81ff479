/**
 * The BUILT package (ESM and CJS) exposes the sampling API and works in a plain Node process.
 * Run `pnpm --filter @genai-otel/core build` first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** A fake trace (error on a child) through the processor; prints what reached `next`. */
const body = `
const out = [];
const next = { onStart() {}, onEnd(s) { out.push(s); }, forceFlush: async () => {}, shutdown: async () => {} };
const p = new core.AdaptiveSamplingSpanProcessor({ next, decisionWaitMs: 60000 });
const sc = (spanId) => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId, traceFlags: 1 });
const span = (name, spanId, parent, code) => ({
  name, kind: 0, spanContext: () => sc(spanId),
  parentSpanContext: parent ? { ...sc(parent), isRemote: false } : undefined,
  startTime: [0, 0], endTime: [0, 1e6], duration: [0, 1e6], status: { code },
  attributes: {}, links: [], events: [], ended: true, resource: {}, instrumentationScope: {},
});
const root = span('root', 'b7ad6b7169203331', undefined, 0);
const child = span('child', '00f067aa0ba902b7', 'b7ad6b7169203331', 2);
p.onStart(root, {}); p.onStart(child, {}); p.onEnd(child); p.onEnd(root);
const headSampled = core.createHeadSampler({ ratio: 1 }).shouldSample({ getValue: () => undefined }, '0af7651916cd43dd8448eb211c80319c').decision;
p.shutdown().then(() => {
  process.stdout.write(JSON.stringify({
    spans: out.map((s) => [s.name, s.attributes['sampling.reason'], s.spanContext().traceState.serialize()]),
    headSampled,
    env: core.adaptiveSamplingOptionsFromEnv({ OTEL_TRACES_SAMPLER: 'genai_adaptive', OTEL_TRACES_SAMPLER_ARG: '3' }),
  }));
});
`;

describe('built package', () => {
  it.each([
    [
      'esm',
      [
        '--input-type=module',
        '-e',
        `import * as core from ${JSON.stringify(here('../../dist/index.js'))};\n${body}`,
      ],
    ],
    [
      'cjs',
      ['-e', `const core = require(${JSON.stringify(here('../../dist/index.cjs'))});\n${body}`],
    ],
  ])('%s: exports the sampling API and samples a trace', async (_kind, args) => {
    if (!existsSync(here('../../dist/index.js'))) {
      throw new Error('dist/ is missing: run `pnpm --filter @genai-otel/core build` first');
    }
    const { stdout } = await run(process.execPath, args, { cwd: here('../..') });
    expect(JSON.parse(stdout)).toEqual({
      spans: [
        ['child', 'error', 'ot=th:0'],
        ['root', 'error', 'ot=th:0'],
      ],
      headSampled: 2,
      env: { processor: { targetTracesPerSecond: 3 }, headSampler: {} },
    });
  });
});
