// Profiling driver: feeds AdaptiveSamplingSpanProcessor (no-op next) the bench's traffic in a
// loop, for `node --cpu-prof bench/profile-sampler.mjs [--wait 1000] [--seconds 10]`.
// Not part of the test suite.
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';

const core = await import('../dist/index.js');
const { AdaptiveSamplingSpanProcessor, createHeadSampler } = core;
const requireFromCore = createRequire(import.meta.url);
const requireFromHarness = createRequire(requireFromCore.resolve('@genai-otel/test-utils'));
const load = (n) => {
  try {
    return requireFromHarness(n);
  } catch {
    return undefined;
  }
};
const sdk = load('@opentelemetry/sdk-trace') ?? load('@opentelemetry/sdk-trace-base');
const api = requireFromHarness('@opentelemetry/api');
const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const WAIT = arg('wait', 1000);
const SECONDS = arg('seconds', 10);
const SPANS = 100_000;
const PER = 5;

function buildSpans(n) {
  const spans = [];
  const capture = {
    onStart() {},
    onEnd(s) {
      spans.push(s);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
  const tracer = new Provider({
    spanProcessors: [capture],
    sampler: createHeadSampler({ ratio: 1 }),
  }).getTracer('bench');
  while (spans.length < n) {
    const root = tracer.startSpan('invoke_agent support', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4o' },
    });
    const ctx = api.trace.setSpan(api.context.active(), root);
    for (let c = 0; c < PER - 1; c++) {
      const s = tracer.startSpan(c === 0 ? 'chat gpt-4o' : `execute_tool t${c}`, {}, ctx);
      s.setAttribute('gen_ai.usage.input_tokens', 120);
      s.end();
    }
    root.end();
  }
  return spans;
}
function replayOrder(spans) {
  const events = [];
  for (let i = 0; i < spans.length; i += PER) {
    const root = spans[i + PER - 1];
    events.push(root, true);
    for (let c = i; c < i + PER - 1; c++) events.push(spans[c], true, spans[c], false);
    events.push(root, false);
  }
  return events;
}
const noopNext = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
const sets = [replayOrder(buildSpans(SPANS)), replayOrder(buildSpans(SPANS))];
// --fresh 1: as the bench does, a fresh processor per round, warmed up with 60k other spans.
const FRESH = arg('fresh', 0) === 1;
const warmup = FRESH ? replayOrder(buildSpans(60_000)) : undefined;
const ctx = api.context.active();
let measuring = false;
const gcMs = {};
new PerformanceObserver((list) => {
  if (!measuring) return;
  for (const e of list.getEntries()) {
    const k = e.detail?.kind ?? e.kind;
    gcMs[k] = (gcMs[k] ?? 0) + e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const end = Date.now() + SECONDS * 1000;
let n = 0;
let ns = 0;
while (Date.now() < end) {
  const p = new AdaptiveSamplingSpanProcessor({
    next: noopNext,
    decisionWaitMs: WAIT,
    ...(process.env.NOERR ? { isError: () => false } : {}),
    meterProvider: api.metrics.getMeterProvider(),
  });
  if (FRESH) {
    for (let i = 0; i < warmup.length; i += 2) {
      if (warmup[i + 1]) p.onStart(warmup[i], ctx);
      else p.onEnd(warmup[i]);
      if ((i & 511) === 0) await null;
    }
    globalThis.gc?.();
  }
  for (const events of FRESH ? sets.slice(0, 1) : sets) {
    measuring = true;
    const c0 = process.cpuUsage();
    for (let i = 0; i < events.length; i += 2) {
      if (events[i + 1]) p.onStart(events[i], ctx);
      else p.onEnd(events[i]);
      if ((i & 511) === 0) await null;
    }
    const c = process.cpuUsage(c0);
    ns += (c.user + c.system) * 1000; // CPU time: steadier than wall time on a shared machine
    await new Promise((r) => setImmediate(r));
    measuring = false;
    n += events.length / 2;
  }
  await p.shutdown();
}
process.stdout.write(
  `wait ${WAIT}: ${(ns / n).toFixed(0)} ns/span over ${n} spans; GC ms by kind while measuring: ${JSON.stringify(gcMs)} (${((Object.values(gcMs).reduce((a, b) => a + b, 0) * 1e6) / n).toFixed(0)} ns/span)\n`,
);
