// One measurement in a fresh process: `node --expose-gc worker.mjs <json spec>`.
// Sets up OpenTelemetry, applies one row's instrumentation, builds one workload, then
// measures either per-call time or heap growth, and prints one `BENCH_RESULT {...}` line.
import { performance } from 'node:perf_hooks';
import { setupOtel } from './otel.mjs';
import { families } from './registry.mjs';

const spec = JSON.parse(process.argv[2]);
const family = families[spec.family];
const row = family.rows[spec.row];
const workloadDef = family.workloads[spec.workload];
if (!row || !workloadDef) throw new Error(`unknown row/workload ${spec.row}/${spec.workload}`);

const otel = setupOtel();
const rowState = await row.setup(otel, spec);
const workload = await workloadDef.create(spec, rowState);
const concurrency = workload.concurrency ?? 1;

async function runCalls(n) {
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
}

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

const result = { ...spec, pid: process.pid };

// Sanity: the workload must return what it returns without instrumentation.
result.sample = summarize(await workload.invoke());

if (spec.mode === 'time') {
  await runCalls(spec.warmup);
  await settle();
  await fullGc();
  const spansBefore = otel.exporter.spans;
  const rootsBefore = otel.exporter.roots;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runCalls(spec.iters);
  await settle();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  result.usPerCall = ((t1 - t0) * 1000) / spec.iters;
  result.cpuUsPerCall = (cpu.user + cpu.system) / spec.iters;
  result.spansPerCall = (otel.exporter.spans - spansBefore) / spec.iters;
  result.rootsPerCall = (otel.exporter.roots - rootsBefore) / spec.iters;
} else if (spec.mode === 'heap') {
  const half = Math.floor(spec.iters / 2);
  await runCalls(spec.warmup);
  await settle();
  await fullGc();
  const h0 = process.memoryUsage().heapUsed;
  const spansBefore = otel.exporter.spans;
  await runCalls(half);
  await settle();
  await fullGc();
  const h1 = process.memoryUsage().heapUsed;
  await runCalls(spec.iters - half);
  await settle();
  await fullGc();
  const h2 = process.memoryUsage().heapUsed;
  result.heapBase = h0;
  result.heapMid = h1;
  result.heapEnd = h2;
  result.heapGrowth = h2 - h0;
  result.heapGrowthSecondHalf = h2 - h1;
  result.spansPerCall = (otel.exporter.spans - spansBefore) / spec.iters;
} else {
  throw new Error(`unknown mode ${spec.mode}`);
}

await workload.close?.();
await otel.shutdown();
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
process.exit(0);

function summarize(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `string:${value.length}`;
  const name = value?.constructor?.name ?? typeof value;
  return name;
}
