// Measurements in a fresh process: `node --expose-gc worker.mjs <json spec>`.
// Sets up OpenTelemetry, applies ONE row's instrumentation, then, for each workload in
// `spec.workloads` (in that order), builds it and measures either per-call time or heap
// growth. Prints one `BENCH_RESULT {...}` line with a result per workload.
// spec: { family, row, workloads: [{ workload, iters, warmup, warmupMs?, measureMs? }],
//         mode: 'time'|'heap', anthropicUrl? }
// In 'time' mode iters/warmup are minimum call counts; each phase also runs for at least its ms.
import { performance } from 'node:perf_hooks';
import { setupOtel } from './otel.mjs';
import { families } from './registry.mjs';

const spec = JSON.parse(process.argv[2]);
const family = families[spec.family];
const row = family?.rows[spec.row];
if (!row) throw new Error(`unknown family/row ${spec.family}/${spec.row}`);
for (const w of spec.workloads)
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

async function measure(w) {
  const workload = await family.workloads[w.workload].create(spec, rowState);
  const concurrency = workload.concurrency ?? 1;
  const batchSize = Math.max(concurrency, 10);
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
  // Sanity: the workload must return what it returns without instrumentation.
  const result = {
    workload: w.workload,
    iters: w.iters,
    warmup: w.warmup,
    sample: summarize(await workload.invoke()),
  };
  if (spec.mode === 'time') await runFor(w.warmup, w.warmupMs ?? 0);
  else await runCalls(w.warmup);
  await settle();
  await fullGc();
  const spansBefore = otel.exporter.spans;
  const rootsBefore = otel.exporter.roots;
  if (spec.mode === 'time') {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const calls = await runFor(w.iters, w.measureMs ?? 0);
    await settle();
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    result.calls = calls;
    result.usPerCall = ((t1 - t0) * 1000) / calls;
    result.cpuUsPerCall = (cpu.user + cpu.system) / calls;
  } else if (spec.mode === 'heap') {
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
    });
  } else {
    throw new Error(`unknown mode ${spec.mode}`);
  }
  const counted = result.calls ?? w.iters;
  result.spansPerCall = (otel.exporter.spans - spansBefore) / counted;
  result.rootsPerCall = (otel.exporter.roots - rootsBefore) / counted;
  await workload.close?.();
  return result;
}

const results = [];
for (const w of spec.workloads) results.push(await measure(w));
await otel.shutdown();
process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ...spec, pid: process.pid, results })}\n`);
process.exit(0);
