// `pnpm bench` entry: runs every measurement and writes RESULTS.md.
//   --quick                 fewer rounds/iterations (about a third of the time)
//   --only=a,b              any of overhead, heap, startup, install, sampler
//   --families=a,b          any of langchain, llamaindex, anthropic
//   --rows=a,b              only these rows (plus the baseline and floor rows)
//   --rounds=N              override rounds of the overhead measurement
//   --blocks=N              interleaved timed blocks per workload and round
//   --warmup-ms=N, --measure-ms=N  minimum time of each warm-up / timed block
//   --out=FILE              report path (default RESULTS.md, RESULTS-quick.md with --quick)
//   --render=FILE.json      only re-render a report from a saved RESULTS*.json
//   --baseline-tree=DIR     A/B: adds the row "ours-baseline", ours as built in another checkout
//                           (DIR: its root, built), measured in the same interleaved blocks
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineInfo, versionsInfo } from './env-info.mjs';
import { startFakeAnthropic } from './fake-anthropic-server.mjs';
import { measureInstall } from './install.mjs';
import { families } from './registry.mjs';
import { renderReport } from './report.mjs';
import { BENCH_DIR, run, runWorker, startServeWorker } from './spawn.mjs';
import { measureStartup } from './startup.mjs';
import { orderForRound } from './stats.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const quick = flag('quick');
const only = new Set((opt('only') ?? 'overhead,heap,startup,install,sampler').split(','));
const familyNames = (opt('families') ?? Object.keys(families).join(',')).split(',');
// Development aid: only these rows (the baseline and floor rows are always kept).
const onlyRows = opt('rows')?.split(',');
// Development aid: ours from another checkout (say, `git worktree add` of the last commit, built)
// as one more row of every family that has an "ours" row, so a change is measured against its
// baseline in the same interleaved blocks. Its worker runs from that tree's bench directory.
const baselineTree = opt('baseline-tree');
const BASELINE_ROW = 'ours-baseline';
if (baselineTree) {
  for (const family of Object.values(families)) {
    if (!family.rows.ours) continue;
    family.rows[BASELINE_ROW] = {
      title: `ours at ${basename(resolve(baselineTree))} (baseline tree)`,
      benchDir: join(resolve(baselineTree), 'bench'),
      workerRow: 'ours',
    };
    family.heapRows ??= [...family.rowOrder]; // the heap phase leaves the baseline tree out
    family.rowOrder.splice(family.rowOrder.indexOf('ours') + 1, 0, BASELINE_ROW);
  }
}
const rowsOf = (family) =>
  family.rowOrder.filter(
    (row) =>
      !onlyRows ||
      onlyRows.includes(row) ||
      row === family.baseline ||
      row === family.floor ||
      row === BASELINE_ROW,
  );
const config = {
  quick,
  rounds: Number(opt('rounds') ?? (quick ? 2 : 4)),
  // Interleaved timed blocks per workload and round (see the overhead section below).
  blocks: Number(opt('blocks') ?? (quick ? 2 : 3)),
  itersScale: quick ? 0.5 : 1,
  heapIters: Number(opt('heap-iters') ?? (quick ? 5000 : 20000)),
  heapWarmup: quick ? 500 : 1000,
  heapParallel: Number(opt('heap-parallel') ?? 3),
  startupRuns: quick ? 5 : 10,
  // Each workload warms up for at least warmupMs; each timed block lasts at least measureMs.
  // On Node 24 ours needs 1.5-4 s of calls in a fresh process before its per-call time
  // settles (bench/FINDINGS.md); the committed Node 24 run used --warmup-ms=4000.
  warmupMs: Number(opt('warmup-ms') ?? (quick ? 1000 : 2000)),
  measureMs: Number(opt('measure-ms') ?? (quick ? 500 : 800)),
};
const out = resolve(BENCH_DIR, opt('out') ?? (quick ? 'RESULTS-quick.md' : 'RESULTS.md'));
const REPO = resolve(BENCH_DIR, '..');

/** Formats the report the way the repository's `biome check` expects (tables aligned). */
async function formatReport(file) {
  const biome = join(REPO, 'node_modules/.bin/biome');
  if (existsSync(biome))
    await run(biome, ['format', '--write', file], { cwd: REPO, timeoutMs: 60_000 });
}

if (opt('render')) {
  const saved = JSON.parse(await readFile(resolve(BENCH_DIR, opt('render')), 'utf8'));
  const target = resolve(BENCH_DIR, opt('out') ?? opt('render').replace(/\.json$/, '.md'));
  await writeFile(target, renderReport(saved, families));
  await formatReport(target);
  process.stderr.write(`wrote ${target}\n`);
  process.exit(0);
}

const started = performance.now();
const log = (msg) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);

const results = {
  rawFile: basename(out).replace(/\.md$/, '.json'),
  config,
  startedAt: new Date().toISOString(),
  machine: machineInfo(),
  versions: versionsInfo(),
  overhead: {},
  heap: {},
};

let anthropic;
if (
  familyNames.some((f) => families[f]?.needsAnthropicServer) &&
  (only.has('overhead') || only.has('heap'))
) {
  anthropic = await startFakeAnthropic();
}

/** Writes the report so far (a partial run still leaves its numbers behind). */
async function checkpoint(final = false) {
  results.finishedAt = new Date().toISOString();
  results.durationS = (performance.now() - started) / 1000;
  results.machine.loadavgEnd = machineInfo().loadavg;
  results.partial = !final;
  await writeFile(out, renderReport(results, families));
  await writeFile(out.replace(/\.md$/, '.json'), `${JSON.stringify(results, null, 2)}\n`);
}

// 1. Per-call overhead. Instrumentations patch globally, so every row runs in its own process.
// Each round starts a fresh process per row (set up once, then driven by commands), builds and
// warms up every workload in each, and then interleaves short timed blocks: block b of every
// row runs back to back (row order rotated and reversed from block to block), so the rows'
// times in one block come from the same few seconds of this noisy machine, and ratios are
// taken block by block. Processes are not reused across rounds, so JIT luck is sampled too.
const workloadSpec = (def, wl) => ({
  workload: wl,
  iters: Math.max(200, Math.round(def.iters * config.itersScale)),
  warmup: Math.round(def.warmup * config.itersScale),
  warmupMs: config.warmupMs,
  measureMs: config.measureMs,
});
if (only.has('overhead')) {
  const broken = new Map();
  const cellOf = (fam, wl, row) => {
    results.overhead[fam][wl] ??= {};
    results.overhead[fam][wl][row] ??= { rounds: [] };
    return results.overhead[fam][wl][row];
  };
  for (let round = 0; round < config.rounds; round++) {
    for (const fam of familyNames) {
      const family = families[fam];
      results.overhead[fam] ??= {};
      const workers = new Map();
      const drop = async (row, error) => {
        log(`  ${fam}/${row}: ${error}`);
        broken.set(`${fam}/${row}`, error);
        for (const wl of Object.keys(family.workloads)) cellOf(fam, wl, row).error = error;
        const w = workers.get(row);
        workers.delete(row);
        await w?.close();
      };
      for (const row of rowsOf(family)) {
        if (broken.has(`${fam}/${row}`)) continue;
        const def = family.rows[row];
        workers.set(
          row,
          startServeWorker(
            { family: fam, row: def.workerRow ?? row, anthropicUrl: anthropic?.url },
            { benchDir: def.benchDir },
          ),
        );
      }
      for (const [row, w] of workers) {
        const ready = await w.ready;
        if (ready.error) await drop(row, ready.error);
      }
      for (const wl of orderForRound(Object.keys(family.workloads), round)) {
        const ws = workloadSpec(family.workloads[wl], wl);
        for (const [row, w] of workers) {
          const r = await w.send({ cmd: 'prepare', ...ws });
          if (r.error) await drop(row, r.error);
          else cellOf(fam, wl, row).sample = r.sample;
        }
        for (let block = 0; block < config.blocks; block++) {
          const id = round * config.blocks + block;
          for (const row of orderForRound([...workers.keys()], id)) {
            const r = await workers.get(row).send({ cmd: 'measure', ...ws });
            if (r.error) {
              await drop(row, r.error);
              continue;
            }
            cellOf(fam, wl, row).rounds.push({
              round: id,
              usPerCall: r.usPerCall,
              cpuUsPerCall: r.cpuUsPerCall,
              spansPerCall: r.spansPerCall,
              rootsPerCall: r.rootsPerCall,
            });
          }
        }
      }
      await Promise.all([...workers.values()].map((w) => w.close()));
      log(`overhead round ${round + 1}/${config.rounds}: ${fam} done`);
    }
  }
}

await checkpoint();

// 2. Heap growth: a fresh child per row running each workload in turn (baseline per workload);
// two children at a time (heap numbers do not depend on timing, so this runs after the timed phase).
if (only.has('heap')) {
  const jobs = [];
  for (const fam of familyNames) {
    const family = families[fam];
    for (const row of family.heapRows ?? family.rowOrder) {
      const wls = Object.keys(family.workloads).filter(
        (wl) => !results.overhead[fam]?.[wl]?.[row]?.error,
      );
      if (!wls.length) continue;
      jobs.push({
        family: fam,
        row,
        mode: 'heap',
        workloads: wls.map((wl) => ({
          workload: wl,
          iters: config.heapIters,
          warmup: config.heapWarmup,
        })),
      });
    }
  }
  let next = 0;
  const workerLoop = async () => {
    while (next < jobs.length) {
      const spec = jobs[next++];
      const res = await runWorker({ ...spec, anthropicUrl: anthropic?.url });
      results.heap[spec.family] ??= {};
      for (const w of spec.workloads) {
        results.heap[spec.family][w.workload] ??= {};
        const r = res.results?.find((x) => x.workload === w.workload);
        results.heap[spec.family][w.workload][spec.row] = r ?? { error: res.error ?? 'no result' };
      }
      log(
        `heap ${spec.family}/${spec.row}: ${res.error ?? res.results.map((r) => `${r.workload} ${r.heapGrowth} B`).join(', ')}`,
      );
    }
  };
  // Heap numbers do not depend on timing: several children at once is fine.
  await Promise.all(Array.from({ length: config.heapParallel }, workerLoop));
}

await anthropic?.close();

await checkpoint();

// 3. Start-up.
if (only.has('startup')) {
  log('start-up');
  results.startup = await measureStartup({ runs: config.startupRuns, log });
}

await checkpoint();

// 4. Install footprint.
if (only.has('install')) {
  log('install footprint');
  results.install = await measureInstall({
    candidates: {
      ours: { title: '@genai-otel/instrumentation-langchain (packed)', spec: 'OURS' },
      openinference: {
        title: '@arizeai/openinference-instrumentation-langchain',
        spec: `@arizeai/openinference-instrumentation-langchain@${results.versions.alternatives['@arizeai/openinference-instrumentation-langchain'].version}`,
      },
      traceloop: {
        title: '@traceloop/instrumentation-langchain',
        spec: `@traceloop/instrumentation-langchain@${results.versions.alternatives['@traceloop/instrumentation-langchain'].version}`,
      },
    },
    existing: [
      `@langchain/core@${results.versions.framework['@langchain/core']}`,
      `@opentelemetry/api@${results.versions.otel['@opentelemetry/api']}`,
    ],
    log,
  });
}

await checkpoint();

// 5. Sampler throughput (the sampler's own benchmark script, when present).
if (only.has('sampler')) {
  const script = join(REPO, 'packages/core/bench/sampler.mjs');
  const samplerArgs = quick
    ? ['--spans', '100000', '--rounds', '3']
    : ['--spans', '150000', '--rounds', '5'];
  if (existsSync(script)) {
    log('sampler');
    const res = await run(process.execPath, ['--expose-gc', script, ...samplerArgs], {
      cwd: join(REPO, 'packages/core'),
      timeoutMs: 600_000,
    });
    results.sampler = {
      args: samplerArgs,
      script: 'packages/core/bench/sampler.mjs',
      code: res.code,
      stdout: res.stdout,
      stderr: res.stderr.slice(-2000),
    };
  } else {
    results.sampler = { missing: true };
  }
}

await checkpoint(true);
await formatReport(out);
log(`wrote ${out} in ${results.durationS.toFixed(0)} s`);
