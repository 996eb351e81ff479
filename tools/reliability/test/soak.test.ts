/**
 * Soak: N mixed invocations across the three instrumentations (default 5,000 locally and
 * 100,000 when `CI` is set; override with RELIABILITY_SOAK_N), 10% of them abandoned (runs that
 * never end, streams never consumed or dropped half-way). After forced GC the heap is back to
 * its baseline and the number of open spans is bounded.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { batchProcessor, createTracerProvider } from '@genai-otel/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANTHROPIC_PARAMS, createWorld, SpanTracker, type World } from './_harness.js';

const N = Number(process.env.RELIABILITY_SOAK_N ?? (process.env.CI ? 100_000 : 5_000));
const BATCH = 50;
const MAX_OPEN_RUNS = 200;
/** Allowed heap growth after GC (bytes). */
const MAX_GROWTH = Number(process.env.RELIABILITY_SOAK_MAX_GROWTH ?? 4 * 1024 * 1024);

setFlagsFromString('--expose-gc');
const gc: () => void = runInNewContext('gc');

async function settle(): Promise<number> {
  // Several rounds: FinalizationRegistry callbacks run after a GC, on later turns.
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

let w: World;
const tracker = new SpanTracker(false); // counts only: holds no span
const noopExporter = {
  export: (_spans: unknown, done: (r: { code: number }) => void) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
let provider: any;

beforeAll(async () => {
  w = await createWorld({ trackSpans: false, langchain: { maxOpenRuns: MAX_OPEN_RUNS } });
  // Real processors, no in-memory exporter (it would keep every span).
  provider = createTracerProvider({
    spanProcessors: [tracker, batchProcessor(noopExporter, { scheduledDelayMillis: 50 })],
  });
  for (const i of w.all) i.setTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  await w.close();
});

let runCounter = 0;

let instrumented = true;

async function invocation(i: number): Promise<void> {
  const slot = i % 20;
  switch (slot) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6: {
      const out = await w.langchain.chain(['ok']).invoke({ question: `q${i}` });
      if (out !== 'ok') throw new Error('unexpected chain output');
      return;
    }
    case 7:
    case 8: {
      let text = '';
      for await (const c of await w.langchain.model(['streamed answer']).stream(`q${i}`))
        text += c.content;
      if (text !== 'streamed answer') throw new Error('unexpected stream');
      return;
    }
    case 9:
    case 10:
    case 11: {
      await w.llama.index.asQueryEngine().query({ query: `question ${i}` });
      return;
    }
    case 12:
    case 13: {
      await w.anthropic.messages.create(ANTHROPIC_PARAMS);
      return;
    }
    case 14:
    case 15:
    case 16: {
      for await (const _ of await w.anthropic.messages.create({
        ...ANTHROPIC_PARAMS,
        stream: true,
      })) {
        // drain
      }
      return;
    }
    // 10% abandoned.
    case 17: {
      // A LangChain run that never ends (a crashed callback producer).
      if (!instrumented) return;
      const h: any = w.lc.handler;
      const id = `abandoned-${runCounter++}`;
      h.handleChainStart(
        { id: ['x'], name: 'abandoned' },
        { q: i },
        id,
        undefined,
        [],
        {},
        'chain',
        'abandoned',
      );
      h.handleLLMStart({ id: ['m'] }, ['p'], `${id}-llm`, id, {}, [], {}, 'model');
      return;
    }
    case 18: {
      // A LangChain stream read once then dropped, and a LlamaIndex stream never read.
      const it = (await w.langchain.model(['a b c d']).stream(`q${i}`))[Symbol.asyncIterator]();
      await it.next();
      await w.llama.index.asQueryEngine().query({ query: `q${i}`, stream: true });
      return;
    }
    default: {
      // An Anthropic stream never iterated, and one dropped after the first event.
      await w.anthropic.messages.create({ ...ANTHROPIC_PARAMS, stream: true });
      const s = await w.anthropic.messages.create({ ...ANTHROPIC_PARAMS, stream: true });
      await s[Symbol.asyncIterator]().next();
      return;
    }
  }
}

async function run(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) batch.push(invocation(j));
    await Promise.all(batch);
    w.server.reset(); // the fake server records every request: keep the harness itself flat
  }
}

async function phase(n: number): Promise<{ baseline: number; after: number; elapsed: number }> {
  // Warm-up fills the caps (abandoned runs reach maxOpenRuns), so the baseline is steady state.
  const warm = Math.max(4000, Math.floor(n / 20));
  await run(0, warm);
  const baseline = await settle();
  const started = Date.now();
  await run(warm, warm + n);
  const elapsed = Date.now() - started;
  return { baseline, after: await settle(), elapsed };
}

it(`${N} mixed invocations with 10% abandoned: heap returns to baseline, open spans bounded`, async () => {
  // Control: the same workload uninstrumented (frameworks, HTTP pools and V8 have their own
  // caches); the instrumented run may not grow more than that.
  instrumented = false;
  for (const i of w.all) i.uninstrument();
  // (Capped at 20k: the frameworks' own growth comes from caches that fill early.)
  const control = await phase(Math.min(N, 20_000));
  instrumented = true;
  for (const i of w.all) i.instrument();
  const ours = await phase(N);
  const mb = (n: number) => (n / 1e6).toFixed(1);
  // Visible in the test output: the numbers behind the assertions.
  process.stdout.write(
    `soak: ${N} invocations (control ${Math.min(N, 20_000)}); uninstrumented ${control.elapsed} ms, heap ${mb(control.baseline)} -> ${mb(control.after)} MB; ` +
      `instrumented ${ours.elapsed} ms, heap ${mb(ours.baseline)} -> ${mb(ours.after)} MB; ` +
      `spans started ${tracker.started}, open ${tracker.started - tracker.ended}\n`,
  );
  expect(tracker.started).toBeGreaterThan(N);
  const controlGrowth = Math.max(0, control.after - control.baseline);
  expect(ours.after - ours.baseline).toBeLessThan(controlGrowth + MAX_GROWTH);
  // Abandoned LangChain runs are capped by maxOpenRuns (2 spans per abandoned invocation);
  // abandoned streams end when collected.
  expect(tracker.started - tracker.ended).toBeLessThanOrEqual(MAX_OPEN_RUNS + 2 * BATCH);
}, 1_800_000);
