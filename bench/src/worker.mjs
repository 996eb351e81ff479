// Measurements in a fresh process: `node --expose-gc worker.mjs <json spec>`.
// Sets up OpenTelemetry and applies ONE row's instrumentation, then either
// - mode 'time' / 'heap': for each workload in `spec.workloads` (in that order), builds it and
//   measures per-call time or heap growth, prints one `BENCH_RESULT {...}` line and exits; or
// - mode 'serve': stays up and answers commands, one JSON line each on stdin, with one
//   `BENCH_REPLY {...}` line on stdout, so that the orchestrator can interleave short timed
//   blocks of every row (see run.mjs):
//     {"cmd":"prepare","workload":w,"warmup":n,"warmupMs":ms}  build + warm up a workload
//     {"cmd":"measure","workload":w,"iters":n,"measureMs":ms}   one timed block
//     {"cmd":"exit"}
// spec: { family, row, workloads: [{ workload, iters, warmup, warmupMs?, measureMs? }],
//         mode: 'time'|'heap'|'serve', anthropicUrl? }
// In 'time' mode iters/warmup are minimum call counts; each phase also runs for at least its ms.

import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setupOtel } from './otel.mjs';
import { families } from './registry.mjs';

const spec = JSON.parse(process.argv[2]);
const family = families[spec.family];
const row = family?.rows[spec.row];
if (!row) throw new Error(`unknown family/row ${spec.family}/${spec.row}`);
for (const w of spec.workloads ?? [])
  if (!family.workloads[w.workload]) throw new Error(`unknown workload ${w.workload}`);

const otel = setupOtel();
const rowState = await row.setup(otel, spec);

async function settle() {
  await family.settle?.();
  await otel.flush();
}

async function fullGc() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function summarize(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `string:${value.length}`;
  return value?.constructor?.name ?? typeof value;
}

/** A built workload with the helpers that drive it. */
async function build(workloadName) {
  const workload = await family.workloads[workloadName].create(spec, rowState);
  const concurrency = workload.concurrency ?? 1;
  const batchSize = Math.max(concurrency, 10);
  const runCalls = async (n) => {
    if (concurrency === 1) {
      for (let i = 0; i < n; i++) await workload.invoke();
      return;
    }
    for (let done = 0; done < n; done += concurrency) {
      const batch = Math.min(concurrency, n - done);
      const pending = new Array(batch);
      for (let j = 0; j < batch; j++) pending[j] = workload.invoke();
      await Promise.all(pending);
    }
  };
  // Runs whole batches until both at least `minCalls` calls and `minMs` milliseconds are done;
  // returns the number of calls. A window of a few tens of milliseconds (1,000 chat calls)
  // is decided by one GC pause or one JIT tier-up, so timed phases run for a fixed time.
  const runFor = async (minCalls, minMs) => {
    const t0 = performance.now();
    let calls = 0;
    while (calls < minCalls || performance.now() - t0 < minMs) {
      await runCalls(batchSize);
      calls += batchSize;
    }
    return calls;
  };
  return { workload, runCalls, runFor };
}

/** One timed block: calls for at least `minCalls` and `minMs`, until everything has settled. */
async function timedBlock(built, minCalls, minMs) {
  const spansBefore = otel.exporter.spans;
  const rootsBefore = otel.exporter.roots;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const calls = await built.runFor(minCalls, minMs);
  await settle();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    calls,
    usPerCall: ((t1 - t0) * 1000) / calls,
    cpuUsPerCall: (cpu.user + cpu.system) / calls,
    spansPerCall: (otel.exporter.spans - spansBefore) / calls,
    rootsPerCall: (otel.exporter.roots - rootsBefore) / calls,
  };
}

async function measure(w) {
  const built = await build(w.workload);
  const { workload, runCalls } = built;
  // Sanity: the workload must return what it returns without instrumentation.
  const result = {
    workload: w.workload,
    iters: w.iters,
    warmup: w.warmup,
    sample: summarize(await workload.invoke()),
  };
  if (spec.mode === 'time') await built.runFor(w.warmup, w.warmupMs ?? 0);
  else await runCalls(w.warmup);
  await settle();
  await fullGc();
  if (spec.mode === 'time') {
    Object.assign(result, await timedBlock(built, w.iters, w.measureMs ?? 0));
  } else if (spec.mode === 'heap') {
    const spansBefore = otel.exporter.spans;
    const rootsBefore = otel.exporter.roots;
    const half = Math.floor(w.iters / 2);
    const h0 = process.memoryUsage().heapUsed;
    await runCalls(half);
    await settle();
    await fullGc();
    const h1 = process.memoryUsage().heapUsed;
    await runCalls(w.iters - half);
    await settle();
    await fullGc();
    const h2 = process.memoryUsage().heapUsed;
    Object.assign(result, {
      heapBase: h0,
      heapMid: h1,
      heapEnd: h2,
      heapGrowth: h2 - h0,
      heapGrowthSecondHalf: h2 - h1,
      spansPerCall: (otel.exporter.spans - spansBefore) / w.iters,
      rootsPerCall: (otel.exporter.roots - rootsBefore) / w.iters,
    });
  } else {
    throw new Error(`unknown mode ${spec.mode}`);
  }
  await workload.close?.();
  return result;
}

if (spec.mode === 'serve') await serve();
else {
  const results = [];
  for (const w of spec.workloads) results.push(await measure(w));
  await otel.shutdown();
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ...spec, pid: process.pid, results })}\n`);
  process.exit(0);
}

async function serve() {
  const built = new Map();
  const reply = (obj) => process.stdout.write(`BENCH_REPLY ${JSON.stringify(obj)}\n`);
  reply({ ready: true, pid: process.pid });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line);
    try {
      if (cmd.cmd === 'exit') break;
      if (cmd.cmd === 'prepare') {
        const b = await build(cmd.workload);
        built.set(cmd.workload, b);
        // Sanity: the workload must return what it returns without instrumentation.
        const sample = summarize(await b.workload.invoke());
        await b.runFor(cmd.warmup ?? 0, cmd.warmupMs ?? 0);
        await settle();
        // No forced GC before each block: a collection shrinks the young generation, and every
        // short block would then pay for growing it back. Blocks run in a steady state instead.
        await fullGc();
        reply({ workload: cmd.workload, sample });
      } else if (cmd.cmd === 'measure') {
        const b = built.get(cmd.workload);
        if (!b) throw new Error(`workload ${cmd.workload} not prepared`);
        reply({
          workload: cmd.workload,
          ...(await timedBlock(b, cmd.iters ?? 0, cmd.measureMs ?? 0)),
        });
      } else throw new Error(`unknown command ${cmd.cmd}`);
    } catch (err) {
      reply({ error: String(err?.stack ?? err).slice(0, 600) });
    }
  }
  for (const b of built.values()) await b.workload.close?.();
  await otel.shutdown();
  process.exit(0);
}
