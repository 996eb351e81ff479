// In-process A/B of our LangChain callback handler, core and the OpenTelemetry SDK span pipeline
// (no framework in the timed loop):
//   node --expose-gc src/replay-ab.mjs <baseline checkout> [seconds per workload] [workload]
//
// Records the callback events of the bench's LangChain workloads once (a recording handler on
// the real framework), then replays them, with fresh run ids each time, into two handlers: the
// baseline checkout's build (A) and this tree's (B), in alternating ~200 ms blocks of one
// process. Both share the process, the tracer provider and the machine's noise, so B/A resolves
// changes of a few percent that the interleaved multi-process overhead bench cannot (its
// per-block spreads are tens of percent). It leaves out what a replay cannot exercise:
// LangChain itself, our method wrappers and context propagation through real async work.
// Set ONLY_B=1 to time this tree alone (for `--cpu-prof`). Development aid; not in RESULTS.md.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { setupOtel } from './otel.mjs';

const [baseTree, secondsArg = '20', only] = process.argv.slice(2);
if (!baseTree) {
  process.stderr.write('usage: node src/replay-ab.mjs <baseline checkout> [seconds] [workload]\n');
  process.exit(2);
}
const otel = setupOtel();
context.with(ROOT_CONTEXT, () => {}); // context tracking on for both handlers alike
const load = (root) => import(resolve(root, 'packages/instrumentation-langchain/dist/index.js'));
const handlerOf = (mod) => new mod.LangChainInstrumentor({ enabled: false }).handler;
const handlers = {
  a: handlerOf(await load(baseTree)),
  b: handlerOf(await load(new URL('../..', import.meta.url).pathname)),
};

// Record each workload's events with the real framework.
const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base');
const { CallbackManager } = await import('@langchain/core/callbacks/manager');
const { create } = await import('./workloads/langchain.mjs');
const METHODS = [
  'handleChainStart',
  'handleChainEnd',
  'handleChatModelStart',
  'handleLLMStart',
  'handleLLMEnd',
  'handleRetrieverStart',
  'handleRetrieverEnd',
  'handleToolStart',
  'handleToolEnd',
];
const events = [];
class Recorder extends BaseCallbackHandler {
  name = 'bench_recorder';
  awaitHandlers = true;
}
for (const m of METHODS)
  Recorder.prototype[m] = (...args) => {
    events.push([m, args]);
  };
async function record(workload) {
  const recorder = new Recorder();
  const original = CallbackManager._configureSync;
  CallbackManager._configureSync = function configureWithRecorder(inheritable, ...rest) {
    const handlers =
      inheritable == null
        ? [recorder]
        : Array.isArray(inheritable)
          ? [...inheritable, recorder]
          : inheritable;
    return original.call(this, handlers, ...rest);
  };
  try {
    events.length = 0;
    await create[workload]().invoke();
    return events.splice(0);
  } finally {
    CallbackManager._configureSync = original;
  }
}

function replay(handler, recorded) {
  const ids = new Map();
  const fresh = (id) => {
    if (typeof id !== 'string') return id;
    let v = ids.get(id);
    if (v === undefined) {
      v = randomUUID();
      ids.set(id, v);
    }
    return v;
  };
  for (const [method, args] of recorded) {
    const a = args.slice();
    if (method.endsWith('Start')) {
      a[2] = fresh(a[2]);
      a[3] = fresh(a[3]);
    } else a[1] = fresh(a[1]);
    handler[method](...a);
  }
}

const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const quartiles = (v) => {
  const s = [...v].sort((x, y) => x - y);
  return [s[s.length >> 2], s[(3 * s.length) >> 2]];
};
const seconds = Number(secondsArg);
for (const workload of ['lc-chat', 'lc-pipe', 'lc-rag']) {
  if (only && workload !== only) continue;
  const recorded = await record(workload);
  const times = { a: [], b: [] };
  // Warm-up; a microtask turn every 20 replays lets the BatchSpanProcessor export, as it would.
  for (let i = 0; i < 3000; i++) {
    replay(handlers.a, recorded);
    replay(handlers.b, recorded);
    if (i % 20 === 0) await null;
  }
  await otel.flush();
  globalThis.gc?.();
  const until = Date.now() + seconds * 1000;
  for (let block = 0; Date.now() < until; block++) {
    for (const k of block % 2 ? ['a', 'b'] : ['b', 'a']) {
      if (process.env.ONLY_B && k === 'a') continue;
      const t0 = process.hrtime.bigint();
      const end = performance.now() + 200;
      let n = 0;
      while (performance.now() < end) {
        for (let i = 0; i < 20; i++) replay(handlers[k], recorded);
        n += 20;
        await null;
      }
      times[k].push(Number(process.hrtime.bigint() - t0) / n / 1000);
      await new Promise((r) => setImmediate(r));
    }
  }
  if (process.env.ONLY_B) {
    console.log(`${workload}: ${median(times.b).toFixed(2)} µs/replay`);
    continue;
  }
  const ratios = times.a.map((x, i) => times.b[i] / x);
  const [q1, q3] = quartiles(ratios);
  console.log(
    `${workload} (${recorded.length} events): A ${median(times.a).toFixed(2)} µs/replay, B ${median(times.b).toFixed(2)} µs/replay, B/A ${median(ratios).toFixed(3)} (${ratios.length} block pairs, quartiles ${q1.toFixed(3)}-${q3.toFixed(3)})`,
  );
}
await otel.shutdown();
