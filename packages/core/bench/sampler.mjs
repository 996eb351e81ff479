// Benchmark: AdaptiveSamplingSpanProcessor vs the plain BatchSpanProcessor it wraps, in one run.
//
//   pnpm --filter @genai-otel/core build && pnpm --filter @genai-otel/core bench:sampler
//   node --expose-gc bench/sampler.mjs [--spans 300000] [--rounds 5]
//
// Reports, for real SDK spans (whichever OTel line is installed):
// 1. processor cost: ns per span for onStart+onEnd of pre-built ended spans through
//    (a) BatchSpanProcessor alone, (b) the sampler with a no-op next, (c) sampler -> BSP,
//    plus an empty processor (the harness's own loop and calls, included in every row);
// 2. the same on fresh spans: small batches built and fed at once, as an application's spans
//    reach the processor right after end() (see timeFresh);
// 3. end to end: spans/s for tracer.startSpan()+end() with each pipeline, and the main-thread
//    GC pauses per span (what buffering spans for decisionWaitMs costs at this rate);
// 4. memory: bytes of heap per buffered span (spans held by the sampler awaiting a decision),
//    and the sampler's own overhead on top of the span objects.
//
// Fairness (1): every pipeline sees the same spans, replayed in the order an application produces
// them (a trace's root starts first and ends last); each round builds fresh processors and
// first feeds them an unmeasured warm-up set of other traces (so maps, pools, latency sketches
// and the BSP are in their steady state and no measured trace hits a cached decision); the
// warm-up is NOT flushed, so the measured window is a running pipeline's steady state: with
// `decisionWaitMs: 1000` the trace buffer is full and every new trace decides one buffered
// trace (exactly one decision per trace, on recycled buffers), and the BSP exports its
// 512-span batches as spans arrive (a microtask turn every 256 spans lets it, as in an
// application). The final flush (what a pipeline still owes at the end: the sampler's full
// buffer, the BSP's last partial batch) is done after the clock stops. GC is forced before each
// measured round; rows alternate within each round; medians are reported.
// Not part of the test suite: numbers depend on the machine.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
if (!existsSync(here('../dist/index.js'))) {
  process.stderr.write('Build core first: pnpm --filter @genai-otel/core build\n');
  process.exit(1);
}
const core = await import('../dist/index.js');
const { AdaptiveSamplingSpanProcessor, createHeadSampler } = core;

// The SDK comes from the test harness's dependencies (2.x sdk-trace-base or 3.x sdk-trace).
const requireFromCore = createRequire(import.meta.url);
const requireFromHarness = createRequire(requireFromCore.resolve('@genai-otel/test-utils'));
function load(name) {
  try {
    return requireFromHarness(name);
  } catch {
    return undefined;
  }
}
const sdk = load('@opentelemetry/sdk-trace') ?? load('@opentelemetry/sdk-trace-base');
const line = load('@opentelemetry/sdk-trace') ? 3 : 2;
const api = requireFromHarness('@opentelemetry/api');

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SPANS = arg('spans', 300_000);
// --clock cpu (default): CPU time of this process (all its threads, so GC helpers count), which
// a busy shared machine disturbs far less than wall time (time spent waiting for a core is
// not counted); --clock wall: elapsed time.
const CLOCK = args.includes('--clock') ? args[args.indexOf('--clock') + 1] : 'cpu';
const clockNs =
  CLOCK === 'wall'
    ? () => Number(process.hrtime.bigint())
    : () => {
        const u = process.cpuUsage();
        return (u.user + u.system) * 1000;
      };
const ROUNDS = arg('rounds', 5);
const SPANS_PER_TRACE = 5;
const out = (s = '') => process.stdout.write(`${s}\n`);
const gc = globalThis.gc ?? (() => {});

const noopExporter = {
  export(_spans, done) {
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
// A queue large enough that the BSP queues (and later exports) every span instead of dropping.
const bspOptions = {
  maxQueueSize: SPANS * 2,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 60_000,
};
const bsp = () =>
  line === 3
    ? new sdk.BatchSpanProcessor({ exporter: noopExporter, ...bspOptions })
    : new sdk.BatchSpanProcessor(noopExporter, bspOptions);
// An exporter doing what the OTLP exporters do before the network: protobuf serialisation.
// otlp-transformer is reached through @genai-otel/node's OTLP exporter (no extra dependency).
let otlp;
try {
  const requireFromNode = createRequire(here('../../node/package.json'));
  const requireFromExporter = createRequire(
    requireFromNode.resolve('@opentelemetry/exporter-trace-otlp-proto'),
  );
  otlp = requireFromExporter('@opentelemetry/otlp-transformer').ProtobufTraceSerializer;
} catch {
  otlp = undefined;
}
let otlpBytes = 0;
const otlpExporter = {
  export(spans, done) {
    otlpBytes += otlp.serializeRequest(spans).length;
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
const otlpBsp = () =>
  line === 3
    ? new sdk.BatchSpanProcessor({ exporter: otlpExporter, ...bspOptions })
    : new sdk.BatchSpanProcessor(otlpExporter, bspOptions);
const noopNext = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
const sampler = (next, extra = {}) =>
  new AdaptiveSamplingSpanProcessor({
    next,
    meterProvider: api.metrics.getMeterProvider(),
    ...extra,
  });
function provider(spanProcessors) {
  const Provider = sdk.TracerProvider ?? sdk.BasicTracerProvider;
  return new Provider({ spanProcessors, sampler: createHeadSampler({ ratio: 1 }) });
}

/** Real ended SDK spans: traces of one root and 4 children (a chat, tools, retrieval). */
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
  const tracer = provider([capture]).getTracer('bench');
  while (spans.length < n) {
    const root = tracer.startSpan('invoke_agent support', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4o' },
    });
    const ctx = api.trace.setSpan(api.context.active(), root);
    for (let c = 0; c < SPANS_PER_TRACE - 1; c++) {
      const s = tracer.startSpan(c === 0 ? 'chat gpt-4o' : `execute_tool t${c}`, {}, ctx);
      s.setAttribute('gen_ai.usage.input_tokens', 120);
      s.end();
    }
    root.end();
  }
  return spans;
}

/**
 * The order an application produces a trace's spans in: the root starts first, each child
 * starts and ends, the root ends last. `spans` holds each trace's children, then its root.
 */
function replayOrder(spans) {
  const events = []; // [span, isStart]
  for (let i = 0; i < spans.length; i += SPANS_PER_TRACE) {
    const root = spans[i + SPANS_PER_TRACE - 1];
    events.push(root, true);
    for (let c = i; c < i + SPANS_PER_TRACE - 1; c++) events.push(spans[c], true, spans[c], false);
    events.push(root, false);
  }
  return events;
}

async function feed(p, events, ctx) {
  for (let i = 0; i < events.length; i += 2) {
    if (events[i + 1]) p.onStart(events[i], ctx);
    else p.onEnd(events[i]);
    if ((i & 511) === 0) await null; // a microtask turn every 256 spans
  }
}

/** ns/span for onStart+onEnd of every span in a running pipeline (see "Fairness" above). */
async function oneRound(make, events, warmup) {
  const p = make();
  const ctx = api.context.active();
  await feed(p, warmup, ctx); // steady state first (other trace ids: no cached decisions hit)
  gc();
  const t0 = clockNs();
  await feed(p, events, ctx);
  const ns = clockNs() - t0;
  await p.forceFlush();
  const stats = p.stats?.();
  await p.shutdown();
  return { ns: (ns * 2) / events.length, stats };
}

/**
 * Runs the pipelines' rounds interleaved (A B C A B C ...) so that machine load drifts affect
 * them alike, after `warmup` unmeasured rounds each (so every path is optimised). Medians.
 */
async function timeInterleaved(pipelines, events, warmupEvents, warmup = 2) {
  const results = pipelines.map(() => []);
  const stats = [];
  for (let r = 0; r < warmup + ROUNDS; r++) {
    for (let i = 0; i < pipelines.length; i++) {
      const res = await oneRound(pipelines[i], events, warmupEvents);
      if (r >= warmup) results[i].push(res.ns);
      stats[i] = res.stats;
    }
  }
  return {
    ns: results.map((rs) => rs.sort((a, b) => a - b)[Math.floor(rs.length / 2)]),
    stats,
  };
}

// GC pauses on the main thread, by start time: the observer delivers entries after the fact,
// so a round sums the pauses that started inside its own window.
const gcPauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
// The observer's callback runs some time after the pauses (a timer turn or so), not at once.
const gcEntriesDelivered = () => new Promise((r) => setTimeout(r, 50));
function gcMsBetween(t0, t1) {
  let ms = 0;
  for (const [start, duration] of gcPauses) if (start >= t0 && start < t1) ms += duration;
  return ms;
}

async function endToEndRound(makeProcessors, n) {
  const prov = provider(makeProcessors());
  const tracer = prov.getTracer('bench');
  gc();
  await gcEntriesDelivered(); // (the forced GC is before the window anyway)
  const w0 = performance.now();
  const t0 = clockNs();
  for (let i = 0; i < n / SPANS_PER_TRACE; i++) {
    const root = tracer.startSpan('invoke_agent support');
    const ctx = api.trace.setSpan(api.context.active(), root);
    for (let c = 0; c < SPANS_PER_TRACE - 1; c++) tracer.startSpan('chat', {}, ctx).end();
    root.end();
    if ((i & 63) === 0) await null;
  }
  await prov.forceFlush();
  const ns = clockNs() - t0;
  const w1 = performance.now();
  await prov.shutdown();
  await gcEntriesDelivered();
  const gcMs = gcMsBetween(w0, w1);
  gcPauses.length = 0; // this round's are counted; earlier ones are of no further use
  return { spansPerSecond: (n / ns) * 1e9, gcNsPerSpan: (gcMs * 1e6) / n };
}

/** spans/s and GC ns/span for each pipeline, rounds interleaved, after one unmeasured round. */
async function timeEndToEnd(pipelines, n) {
  const results = pipelines.map(() => []);
  for (let r = 0; r < 1 + ROUNDS; r++) {
    for (let i = 0; i < pipelines.length; i++) {
      const v = await endToEndRound(pipelines[i], n);
      if (r > 0) results[i].push(v);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return results.map((rs) => ({
    spansPerSecond: median(rs.map((v) => v.spansPerSecond)),
    gcNsPerSpan: median(rs.map((v) => v.gcNsPerSpan)),
  }));
}

/**
 * ns/span for onStart+onEnd of spans fed right after they were created and ended, as in an
 * application (a span reaches the processor while its objects are still in the CPU caches, and
 * still in the young generation). Batches of 100 traces are built, then fed to one pipeline;
 * the pipelines take turns batch by batch. Only the feeding is timed (wall clock: a batch is
 * too short for the CPU-time clock's resolution); means over all batches after 2 s of warm-up.
 */
async function timeFresh(pipelines, seconds) {
  const procs = pipelines.map((make) => make());
  const sums = pipelines.map(() => ({ ns: 0, spans: 0 }));
  const ctx = api.context.active();
  const warmUntil = Date.now() + 2000;
  const end = warmUntil + seconds * 1000;
  for (let now = Date.now(); now < end; now = Date.now()) {
    for (let i = 0; i < procs.length; i++) {
      const events = replayOrder(buildSpans(100 * SPANS_PER_TRACE));
      const p = procs[i];
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < events.length; k += 2) {
        if (events[k + 1]) p.onStart(events[k], ctx);
        else p.onEnd(events[k]);
      }
      const ns = Number(process.hrtime.bigint() - t0);
      if (now >= warmUntil) {
        sums[i].ns += ns;
        sums[i].spans += events.length / 2;
      }
      await null;
    }
  }
  for (const p of procs) await p.shutdown();
  return sums.map((x) => x.ns / x.spans);
}

function heapPerSpan(n) {
  // Baseline: the span objects alone, held in an array.
  let spans = buildSpans(n);
  spans = null;
  gc();
  gc();
  const h0 = process.memoryUsage().heapUsed;
  spans = buildSpans(n);
  gc();
  gc();
  const h1 = process.memoryUsage().heapUsed;
  const objectsOnly = (h1 - h0) / spans.length;
  // The same spans buffered by the sampler (no decision is due: the roots wait 1 h).
  const p = sampler(noopNext, {
    decisionWaitMs: 3_600_000,
    maxBufferedTraces: n,
    maxBufferedSpans: n * 2,
    sweepIntervalMs: 0,
  });
  const ctx = api.context.active();
  for (const s of spans) p.onStart(s, ctx);
  for (const s of spans) p.onEnd(s);
  gc();
  gc();
  const h2 = process.memoryUsage().heapUsed;
  const stats = p.stats();
  const overhead = (h2 - h1) / stats.bufferedSpans;
  p.shutdown();
  return { objectsOnly, overhead, buffered: stats.bufferedSpans };
}

/** Machine calibration: ns per small-object allocation and per simple loop iteration. */
function calibrate() {
  gc();
  let t0 = process.hrtime.bigint();
  const keep = [];
  for (let i = 0; i < 200_000; i++) keep.push({ i });
  const alloc = Number(process.hrtime.bigint() - t0) / 200_000;
  t0 = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < 10_000_000; i++) x = (x + i * 7) | 0;
  const loop = Number(process.hrtime.bigint() - t0) / 10_000_000;
  return { alloc, loop, x, kept: keep.length };
}

out(`# AdaptiveSamplingSpanProcessor benchmark`);
out(
  `node ${process.version}, OpenTelemetry SDK line ${line}, ${SPANS} spans (${SPANS_PER_TRACE} per trace), median of ${ROUNDS} rounds, ${CLOCK === 'wall' ? 'wall-clock' : 'CPU'} time`,
);
if (!globalThis.gc) out('(run with --expose-gc for stable memory numbers)');
const cal = calibrate();
out(
  `machine calibration: ${cal.alloc.toFixed(1)} ns per small allocation, ${cal.loop.toFixed(2)} ns per loop iteration (an idle laptop: ~5-20 and ~1)`,
);
out();
const spans = buildSpans(SPANS);
const events = replayOrder(spans);
// Warm-up traffic: other traces, enough to fill the default 10,000-trace buffer.
const warmupEvents = replayOrder(buildSpans(Math.min(SPANS, 60_000)));
const empty = () => ({
  onStart() {},
  onEnd() {},
  forceFlush: async () => {},
  shutdown: async () => {},
});
const pipelines = [
  empty,
  bsp,
  () => sampler(noopNext),
  () => sampler(noopNext, { decisionWaitMs: 0 }),
  () => sampler(bsp()),
];
if (otlp) pipelines.push(otlpBsp, () => sampler(otlpBsp()));
const { ns: times, stats } = await timeInterleaved(pipelines, events, warmupEvents);
const [floor, a, b, b0, c, d, e] = times;
out('## Processor cost (onStart + onEnd of pre-built ended spans, steady state)');
out('| pipeline | ns/span | spans/s |');
out('|---|---:|---:|');
const row = (name, ns) =>
  out(`| ${name} | ${ns.toFixed(0)} | ${Math.round(1e9 / ns).toLocaleString('en-US')} |`);
row('empty processor (the harness alone; included in every row)', floor);
row('BatchSpanProcessor (no-op exporter), queue + export', a);
row('AdaptiveSampling -> no-op (decisionWaitMs 1000: buffer full, oldest decided early)', b);
row('AdaptiveSampling -> no-op (decisionWaitMs 0)', b0);
row('AdaptiveSampling -> BatchSpanProcessor', c);
if (otlp) {
  row('BatchSpanProcessor, exporter serialising OTLP protobuf', d);
  row('AdaptiveSampling -> BatchSpanProcessor, OTLP protobuf', e);
}
const kept = (st) =>
  st ? `${((100 * st.spansKept) / (st.spansKept + st.spansDropped)).toFixed(1)}%` : '?';
out(
  `\nSpans kept by the sampler (last round): ${kept(stats[2])} (decisionWaitMs 1000), ${kept(stats[3])} (decisionWaitMs 0)`,
);
out(
  `  (the baseline rate adapts every adaptationIntervalMs, 10 s; a round lasts well under that, so it stays at its initial maxRate, ${(stats[2]?.baselineRate ?? Number.NaN) * 100}%, and the kept share is that plus the slow traces)`,
);
out(
  `Sampler cost / BSP (no-op exporter) cost per span: ${(b / a).toFixed(2)}x (decisionWaitMs 1000), ${(b0 / a).toFixed(2)}x (decisionWaitMs 0)`,
);
out(
  `Net of the harness: ${((b - floor) / (a - floor)).toFixed(2)}x (decisionWaitMs 1000), ${((b0 - floor) / (a - floor)).toFixed(2)}x (decisionWaitMs 0)`,
);
if (otlp) {
  out(`Sampler -> BSP -> OTLP / BSP -> OTLP: ${(e / d).toFixed(2)}x`);
  out(`(${(otlpBytes / 1e6).toFixed(1)} MB of OTLP protobuf serialised in all)`);
}
out();

// Fresh spans. A sampler holding a full buffer (decisionWaitMs 1000) keeps ~50,000 young
// spans alive, which slows whatever runs next in this process; so it gets its own group.
const FRESH_SECONDS = Math.max(3, Math.round(ROUNDS * 2));
const [fe0, fb0, fs0] = await timeFresh(
  [empty, bsp, () => sampler(noopNext, { decisionWaitMs: 0 })],
  FRESH_SECONDS,
);
const [fe1, fb1, fs1] = await timeFresh([empty, bsp, () => sampler(noopNext)], FRESH_SECONDS);
out('## Processor cost on fresh spans (fed right after they ended, as in an application)');
out('| pipeline | ns/span | net of the harness | vs BSP, net |');
out('|---|---:|---:|---:|');
const freshRow = (name, ns, e, bspNs) =>
  out(
    `| ${name} | ${ns.toFixed(0)} | ${(ns - e).toFixed(0)} | ${bspNs === undefined ? '' : `${((ns - e) / (bspNs - e)).toFixed(2)}x`} |`,
  );
freshRow('empty processor (harness)', fe0, fe0, undefined);
freshRow('BatchSpanProcessor (no-op exporter)', fb0, fe0, fb0);
freshRow('AdaptiveSampling -> no-op (decisionWaitMs 0)', fs0, fe0, fb0);
freshRow('empty processor (harness), second group', fe1, fe1, undefined);
freshRow('BatchSpanProcessor (no-op exporter), second group', fb1, fe1, fb1);
freshRow('AdaptiveSampling -> no-op (decisionWaitMs 1000), second group', fs1, fe1, fb1);
out();
out(`(${FRESH_SECONDS} s per group, wall clock; each group interleaves its rows batch by batch)`);
out();

const endToEnd = [
  ['no span processor (span creation alone)', () => []],
  ['BatchSpanProcessor', () => [bsp()]],
  ['AdaptiveSampling -> BatchSpanProcessor (decisionWaitMs 1000)', () => [sampler(bsp())]],
  [
    'AdaptiveSampling -> BatchSpanProcessor (decisionWaitMs 0)',
    () => [sampler(bsp(), { decisionWaitMs: 0 })],
  ],
];
const e2e = await timeEndToEnd(
  endToEnd.map(([, make]) => make),
  SPANS,
);
out('## End to end (tracer.startSpan + end, head sampler ratio 1)');
out('| pipeline | spans/s | ns/span | main-thread GC pauses, ns/span |');
out('|---|---:|---:|---:|');
endToEnd.forEach(([name], i) => {
  const { spansPerSecond, gcNsPerSpan } = e2e[i];
  out(
    `| ${name} | ${Math.round(spansPerSecond).toLocaleString('en-US')} | ${(1e9 / spansPerSecond).toFixed(0)} | ${gcNsPerSpan.toFixed(0)} |`,
  );
});
out();
out(
  '(spans are created as fast as the loop runs; buffering them for decisionWaitMs keeps up to maxBufferedTraces traces alive, which young-generation GCs then copy and promote)',
);
out();

const m = heapPerSpan(Math.min(SPANS, 100_000));
out('## Memory while buffered');
out('| measure | bytes/span |');
out('|---|---:|');
out(`| SDK span object itself (held in an array) | ${m.objectsOnly.toFixed(0)} |`);
out(`| sampler overhead per buffered span (on top of the span) | ${m.overhead.toFixed(0)} |`);
out(`| total per buffered span | ${(m.objectsOnly + m.overhead).toFixed(0)} |`);
out();
out(`(${m.buffered} spans buffered)`);
process.exit(0);
