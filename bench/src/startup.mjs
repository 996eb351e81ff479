// Start-up wall time of the small ESM LangChain app, with and without instrumentation.

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, run } from './spawn.mjs';
import { median, orderForRound, spreadPct } from './stats.mjs';

const APP = fileURLToPath(new URL('./startup/langchain-app/app.mjs', import.meta.url));
const UNFILTERED = fileURLToPath(new URL('./startup/register-unfiltered.mjs', import.meta.url));
const NO_HOOK = fileURLToPath(new URL('./startup/register-no-hook.mjs', import.meta.url));
const HOOK_ONLY = fileURLToPath(new URL('./startup/register-hook-only.mjs', import.meta.url));
const NOOP_HOOK = fileURLToPath(new URL('./startup/register-noop-hook.mjs', import.meta.url));

export const startupVariants = {
  none: { title: 'no instrumentation', args: [] },
  register: {
    title: '`--import @genai-otel/node/register`',
    args: ['--import', '@genai-otel/node/register'],
  },
  unfiltered: {
    title: 'unfiltered loader hook + our LangChain instrumentation',
    args: ['--import', UNFILTERED],
  },
  // Decomposition of the register entry's cost (informational rows).
  'no-hook': { title: 'our SDK set-up without the loader hook', args: ['--import', NO_HOOK] },
  'hook-only': { title: 'filtered loader hook alone', args: ['--import', HOOK_ONLY] },
  'noop-hook': {
    title: 'a pass-through loader hook (any module.register hook)',
    args: ['--import', NOOP_HOOK],
  },
};

const ENV = {
  ...process.env,
  // No collector here: keep the register entry from exporting anywhere.
  OTEL_TRACES_EXPORTER: 'none',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_LOG_LEVEL: 'none',
};

export async function measureStartup({ runs, log }) {
  const names = Object.keys(startupVariants);
  const results = Object.fromEntries(names.map((n) => [n, { times: [], errors: [] }]));
  // One untimed run each to warm the file system cache.
  for (const n of names)
    await run(process.execPath, [...startupVariants[n].args, APP], { cwd: BENCH_DIR, env: ENV });
  for (let r = 0; r < runs; r++) {
    for (const n of orderForRound(names, r)) {
      const t0 = performance.now();
      const res = await run(process.execPath, [...startupVariants[n].args, APP], {
        cwd: BENCH_DIR,
        env: ENV,
      });
      const ms = performance.now() - t0;
      if (res.code === 0) results[n].times.push(ms);
      else
        results[n].errors.push(
          `exit ${res.code}: ${res.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`,
        );
    }
    log(`  startup round ${r + 1}/${runs}`);
  }
  for (const n of names) {
    results[n].medianMs = median(results[n].times);
    results[n].spreadPct = spreadPct(results[n].times);
  }
  return results;
}
