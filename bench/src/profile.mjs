// CPU profile of one row on one workload:
//   node src/profile.mjs <family> <row> <workload> [iterations]
// Writes profiles/<family>-<row>-<workload>.cpuprofile and prints self time by package and
// the top functions, so the cost of an instrumentation can be located.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeAnthropic } from './fake-anthropic-server.mjs';
import { families } from './registry.mjs';
import { BENCH_DIR, runWorker } from './spawn.mjs';

const [fam, row, workload, itersArg] = process.argv.slice(2);
const family = families[fam];
if (!family?.rows[row] || !family.workloads[workload]) {
  process.stderr.write('usage: node src/profile.mjs <family> <row> <workload> [iterations]\n');
  process.exit(2);
}
const dir = join(BENCH_DIR, 'profiles');
const tmp = join(dir, `tmp-${process.pid}`);
await mkdir(tmp, { recursive: true });
const anthropic = family.needsAnthropicServer ? await startFakeAnthropic() : undefined;
const def = family.workloads[workload];
const res = await runWorker(
  {
    family: fam,
    row,
    mode: 'time',
    workloads: [
      {
        workload,
        iters: Number(itersArg ?? def.iters * 2),
        warmup: def.warmup,
        // Long phases so that start-up and JIT warm-up are a small share of the samples.
        warmupMs: 2000,
        measureMs: 8000,
      },
    ],
    anthropicUrl: anthropic?.url,
  },
  { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${tmp}`, '--cpu-prof-interval=200'] },
);
await anthropic?.close();
if (res.error) {
  process.stderr.write(`${res.error}\n`);
  process.exit(1);
}
const measured = res.results[0];
const [file] = await readdir(tmp);
const out = join(dir, `${fam}-${row}-${workload}.cpuprofile`);
await rename(join(tmp, file), out);
await rm(tmp, { recursive: true, force: true });

const profile = JSON.parse(await readFile(out, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++)
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function packageOf(url) {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const ours = url.match(/\/packages\/([^/]+)\/dist\//);
  if (ours) return `ours:${ours[1]}`;
  const nm = url.split('/node_modules/').pop();
  if (nm === url) return url.includes('/bench/src/') ? 'bench harness' : url;
  const parts = nm.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const pkgs = new Map();
const fns = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const pkg = cf.functionName.startsWith('(') ? cf.functionName : packageOf(cf.url);
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  const key = `${cf.functionName || '(anonymous)'} ${packageOf(cf.url)}:${cf.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;
// The profiler samples wall-clock time over the whole process (start-up and warm-up included),
// so shares are scaled onto the measured CPU time per call: an estimate, good for ranking.
const perCall = (us) => `~${((us / total) * measured.cpuUsPerCall).toFixed(1)} µs/call`;
console.log(
  `${fam}/${row}/${workload}: ${measured.usPerCall.toFixed(0)} µs/call wall, ${measured.cpuUsPerCall.toFixed(0)} µs/call CPU; profile ${out}`,
);
console.log('\nSelf time by package:');
for (const [k, v] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`  ${pct(v).padStart(6)}  ${perCall(v).padStart(16)}  ${k}`);
console.log('\nTop functions (self time):');
const focus = process.env.PROFILE_FOCUS;
for (const [k, v] of [...fns]
  .filter(([k]) => !focus || k.includes(focus))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 25))
  console.log(`  ${pct(v).padStart(6)}  ${perCall(v).padStart(16)}  ${k}`);

// Cost attributable to the instrumentation: samples whose stack, walked from the leaf up,
// reaches the instrumentation's own code before any framework frame (so the OpenTelemetry
// SDK work it triggers counts, the framework work it wraps does not).
const OWNER = {
  ours: /\/packages\/(core|instrumentation-[a-z]+)\/dist\//,
  'ours-content': /\/packages\/(core|instrumentation-[a-z]+)\/dist\//,
  openinference: /@arizeai\//,
  traceloop: /@traceloop\//,
  'noop-callback': /\/bench\/src\/rows\//,
};
const FRAMEWORK =
  /node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?(@langchain\/core|langsmith|p-queue|p-retry|eventemitter3|llamaindex|@llamaindex\/[^/]+|@anthropic-ai\/sdk)\//;
const owner = OWNER[row];
if (owner) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let busy = 0;
  let mine = 0;
  const parts = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const fn = node.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') continue;
    busy += dt[i] ?? 0;
    let cur = node.id;
    let owned = false;
    while (cur !== undefined) {
      const url = byId.get(cur).callFrame.url || '';
      if (owner.test(url)) {
        owned = true;
        break;
      }
      if (FRAMEWORK.test(url)) break;
      cur = parent.get(cur);
    }
    if (!owned) continue;
    mine += dt[i] ?? 0;
    const url = node.callFrame.url || '';
    const part = owner.test(url)
      ? 'its own code'
      : url.includes('@opentelemetry')
        ? 'OpenTelemetry SDK/API it calls'
        : url.startsWith('node:')
          ? 'Node internals it calls'
          : `other code it calls (${packageOf(url)})`;
    parts.set(part, (parts.get(part) ?? 0) + (dt[i] ?? 0));
  }
  const share = (v) => `${((v / busy) * 100).toFixed(1)}%`;
  console.log(
    `\nAttributable to the instrumentation (GC not attributed): ${share(mine)} of busy samples`,
  );
  for (const [k, v] of [...parts].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`  ${share(v).padStart(6)}  ${k}`);
}
