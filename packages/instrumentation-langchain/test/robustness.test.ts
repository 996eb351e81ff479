import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixtures } from './fixtures.js';
import { byName, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { UsageChatModel } = fixtures(require);
const { RunnableLambda } = require('@langchain/core/runnables');
const { FakeListChatModel } = require('@langchain/core/utils/testing');

beforeEach(() => {
  telemetry.reset();
  instrumentation.setConfig({});
  instrumentation.handler.registry.clear(); // a failed test leaves no open runs to the next
});
afterAll(() => telemetry.shutdown());

const throwing = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('hostile getter');
      },
      ownKeys() {
        throw new Error('hostile keys');
      },
    },
  );

describe('hostile inputs and outputs', () => {
  it('circular, huge, BigInt, symbol and function values pass through unchanged, capture on', async () => {
    instrumentation.setConfig({ captureContent: true, maxContentLength: 1000 });
    const circular: any = { name: 'loop' };
    circular.self = circular;
    const values = [
      circular,
      'x'.repeat(2_000_000),
      { big: 10n },
      Symbol('s'),
      () => 1,
      new Map([[1, 2]]),
      null,
      undefined,
    ];
    for (const v of values) {
      const echo = RunnableLambda.from(() => v).withConfig({ runName: 'echo' });
      const out = await echo.invoke(v as any);
      expect(out).toBe(v);
    }
    const spans = telemetry.spans().filter((s: any) => s.name === 'echo');
    expect(spans).toHaveLength(values.length);
    for (const s of spans) {
      for (const value of Object.values(s.attributes))
        if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(1100);
    }
  });

  it('the handler survives garbage callback arguments', () => {
    const h = instrumentation.handler;
    const bad = throwing();
    const calls: (() => void)[] = [
      () => h.handleChainStart(bad, bad, 'r1', bad, bad, bad, bad, bad),
      () => h.handleChainEnd(bad, 'r1'),
      () => h.handleChainStart(undefined, undefined, 42 as any, undefined, undefined, undefined),
      () => h.handleChatModelStart(bad, bad, 'r2', undefined, bad, bad, bad, bad),
      () => h.handleLLMNewToken(bad, bad, 'r2'),
      () => h.handleLLMEnd(bad, 'r2'),
      () => h.handleLLMStart(null, null, 'r3', null, null, null, null, null),
      () => h.handleLLMEnd({ generations: [[null, 5, { message: bad }]], llmOutput: bad }, 'r3'),
      () => h.handleToolStart(bad, bad, 'r4', undefined, bad, bad, bad, bad),
      () => h.handleToolEnd(bad, 'r4'),
      () => h.handleRetrieverStart(bad, bad, 'r5', undefined, bad, bad, bad),
      () => h.handleRetrieverEnd([bad, null, 7], 'r5'),
      () => h.handleChainError(bad, 'nope'),
      () => h.handleLLMError(bad, 'r9'),
      () => h.handleToolError(undefined, undefined),
      () => h.handleRetrieverError(null, null),
    ];
    for (const call of calls) expect(call).not.toThrow();
    instrumentation.setConfig({ captureContent: true });
    for (const call of calls) expect(call).not.toThrow();
    expect(instrumentation.openRuns).toBe(0);
  });

  it('an exporter/tracer failure inside our code does not change what the user gets', async () => {
    const model = new FakeListChatModel({ responses: ['ok'] });
    const spy = vi.spyOn(instrumentation.telemetry, 'startSpan').mockImplementation(() => {
      throw new Error('telemetry down');
    });
    try {
      const out = await model.invoke('hi');
      expect(out.content).toBe('ok');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('bounded run map', () => {
  it('caps open runs, ending the oldest as abandoned', () => {
    instrumentation.setConfig({ maxOpenRuns: 50 });
    const h = instrumentation.handler;
    for (let i = 0; i < 200; i++)
      h.handleChainStart({ id: ['x', 'Stuck'] }, {}, `stuck-${i}`, undefined, [], {});
    expect(instrumentation.openRuns).toBe(50);
    const abandoned = telemetry
      .spans()
      .filter((s: any) => s.attributes['genai_otel.langchain.run.abandoned']);
    expect(abandoned).toHaveLength(150);
    expect(abandoned[0].attributes['genai_otel.langchain.run_id']).toBe('stuck-0');
    instrumentation.handler.registry.clear();
    expect(instrumentation.openRuns).toBe(0);
  });

  it('evicts runs older than the TTL', () => {
    instrumentation.setConfig({ runTtlMs: 1000 });
    const h = instrumentation.handler;
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    try {
      for (let i = 0; i < 100; i++) h.handleChainStart({}, {}, `old-${i}`, undefined, [], {});
      expect(instrumentation.openRuns).toBe(100);
      clock.mockReturnValue(now + 1001);
      h.handleChainStart({}, {}, 'fresh', undefined, [], {});
      expect(instrumentation.openRuns).toBe(1);
      h.handleChainEnd({}, 'fresh');
      expect(instrumentation.openRuns).toBe(0);
    } finally {
      clock.mockRestore();
    }
  });

  it('an evicted run ends at its last activity (a token, a child ending), not when evicted', async () => {
    instrumentation.setConfig({ maxOpenRuns: 3 });
    const h = instrumentation.handler;
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    const t0 = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(t0 + 100);
    try {
      h.handleChatModelStart(
        { id: ['x', 'StuckModel'] },
        [[]],
        'stuck-llm',
        undefined,
        { invocation_params: { model: 'stuck-model' } },
        [],
        { ls_provider: 'anthropic', ls_model_name: 'stuck-model' },
      );
      h.handleChainStart({ id: ['x', 'StuckChain'] }, {}, 'stuck-chain', undefined, [], {});
      h.handleChainStart({ id: ['x', 'Child'] }, {}, 'child', 'stuck-chain', [], {});
      clock.mockReturnValue(t0 + 200);
      h.handleLLMNewToken('a', {}, 'stuck-llm');
      clock.mockReturnValue(t0 + 300);
      h.handleChainEnd({}, 'child');
      // Much later, new runs push the two stuck ones out (maxOpenRuns 3).
      clock.mockReturnValue(t0 + 60_000);
      for (let i = 0; i < 3; i++) h.handleChainStart({}, {}, `later-${i}`, undefined, [], {});
    } finally {
      clock.mockRestore();
    }
    const spans = telemetry.spans();
    const llm = byName(spans, 'chat stuck-model');
    const chain = byName(spans, 'StuckChain');
    expect(llm.attributes['genai_otel.langchain.run.abandoned']).toBe(true);
    expect(chain.attributes['genai_otel.langchain.run.abandoned']).toBe(true);
    expect(ms(llm.endTime)).toBeCloseTo(t0 + 200, 0);
    expect(ms(chain.endTime)).toBeCloseTo(t0 + 300, 0);
    // The duration metric records what was seen of the call, not a minute of waiting.
    const durations = (await telemetry.metricsByName()).get('gen_ai.client.operation.duration');
    const point = durations.dataPoints.find(
      (p: any) => p.attributes['gen_ai.request.model'] === 'stuck-model',
    );
    expect(point.value.max).toBeLessThan(1);
    instrumentation.handler.registry.clear();
  });

  it('heap stays flat over many invocations (N = 5 000 here; `pnpm bench -- --heap` runs 100 000)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const chain = RunnableLambda.from((x: string) => x).pipe(new UsageChatModel());
    const batch = async (n: number) => {
      for (let i = 0; i < n; i += 100) {
        await Promise.all(Array.from({ length: 100 }, () => chain.invoke('hi')));
        telemetry.reset();
        // Let the in-memory exporter's export callbacks (timers) run, as a real app would.
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    await batch(2_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    await batch(5_000);
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(instrumentation.openRuns).toBe(0);
    // 5k invocations x 3 runs: leaking 200 bytes per run would already show as 3 MB.
    expect(after - before).toBeLessThan(3 * 1024 * 1024);
  }, 120_000);

  it('heap stays flat over streams read, dropped unread, and event-protocol streams', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const model = new UsageChatModel({ reply: 'a b c' });
    const one = async (i: number) => {
      const mode = i % 3;
      if (mode === 0) for await (const _ of await model.stream('hi'));
      else if (mode === 1) await model.stream('dropped unread');
      else await model.streamEvents('events');
    };
    const batch = async (n: number) => {
      for (let i = 0; i < n; i += 60) {
        await Promise.all(Array.from({ length: 60 }, (_, k) => one(i + k)));
        telemetry.reset();
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    const settle = async () => {
      // Dropped streams end their runs when collected: a few collections and turns.
      for (let i = 0; i < 10 && instrumentation.openRuns > 0; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 1));
      }
      telemetry.reset();
      gc();
    };
    await batch(1_200);
    await settle();
    const before = process.memoryUsage().heapUsed;
    await batch(3_000);
    await settle();
    const after = process.memoryUsage().heapUsed;
    expect(instrumentation.openRuns).toBe(0);
    // A leaked stream (its buffered chunks) or run per call would show as several MB.
    expect(after - before).toBeLessThan(3 * 1024 * 1024);
  }, 120_000);
});

it('spans exist for the runs above (sanity)', async () => {
  await new UsageChatModel().invoke('x');
  expect(byName(telemetry.spans(), 'chat fake-model-1')).toBeDefined();
});
