import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parentId } from '@genai-otel/test-utils';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GenAISpanKind, withGenAIContext } from '../src/index.js';
import { type Harness, harness, tokenSums } from './_helpers.js';

const usageSum = (spans: any[], key = 'gen_ai.usage.input_tokens') =>
  spans.reduce((n, s) => n + (s.attributes[key] ?? 0), 0);

async function durationCount(h: Harness): Promise<number> {
  const d = (await h.t.metricsByName()).get('gen_ai.client.operation.duration');
  return (d?.dataPoints ?? []).reduce((n: number, p: any) => n + p.value.count, 0);
}

describe('usage de-duplication', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.t.shutdown());

  it('framework LLM span over a provider span: the provider span records, once', async () => {
    const framework = h.telemetry.startSpan({ kind: 'LLM', name: 'claude', provider: 'anthropic' });
    await framework.with(async () => {
      await Promise.resolve(); // across an await, as real SDK calls are
      const provider = h.telemetry.startSpan({
        kind: 'LLM',
        name: 'claude',
        provider: 'anthropic',
      });
      provider
        .setUsage({
          inputTokens: 100,
          outputTokens: 10,
          cacheReadInputTokens: 40,
          cacheCreationInputTokens: 5,
          reasoningOutputTokens: 3,
        })
        .end();
    });
    framework.setUsage({ inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 40 }).end();
    const [provider, fw] = h.t.spans();
    expect(provider.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.usage.cache_read.input_tokens': 40,
      'gen_ai.usage.cache_creation.input_tokens': 5,
      'gen_ai.usage.reasoning.output_tokens': 3,
    });
    expect(Object.keys(fw.attributes).filter((k) => k.startsWith('gen_ai.usage.'))).toEqual([]);
    expect(fw.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    expect(tokenSums((await h.t.metricsByName()).get('gen_ai.client.token.usage'))).toEqual({
      input: { sum: 100, count: 1 },
      output: { sum: 10, count: 1 },
    });
    expect(await durationCount(h)).toBe(1);
  });

  it('works with an explicit parent context instead of the active one', () => {
    const framework = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'm', parentContext: framework.context })
      .setUsage({ inputTokens: 7 })
      .end();
    framework.setUsage({ inputTokens: 7 }).end();
    expect(usageSum(h.t.spans())).toBe(7);
  });

  it('siblings under one framework span (retries, fan-out) each count; the parent does not', async () => {
    const chain = h.telemetry.startSpan({ kind: 'CHAIN', name: 'chain' });
    chain.with(() => {
      const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
      fw.with(() => {
        for (const n of [10, 20])
          h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: n }).end();
      });
      fw.setUsage({ inputTokens: 30 }).end();
      // An independent sibling framework call with no provider span below it.
      h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 5 }).end();
    });
    chain.end();
    expect(usageSum(h.t.spans())).toBe(35);
    expect(await durationCount(h)).toBe(3);
    const tokens = tokenSums((await h.t.metricsByName()).get('gen_ai.client.token.usage'));
    expect(tokens.input).toEqual({ sum: 35, count: 3 });
  });

  it('deeper chains: agent > chain > framework LLM > adapter LLM > provider LLM', async () => {
    const open = (kind: GenAISpanKind, name: string) => h.telemetry.startSpan({ kind, name });
    const agent = open('AGENT', 'agent');
    agent.with(() => {
      const chain = open('CHAIN', 'chain');
      chain.with(() => {
        const fw = open('LLM', 'm');
        fw.with(() => {
          const adapter = open('LLM', 'm');
          adapter.with(() => {
            open('LLM', 'm').setUsage({ inputTokens: 50, outputTokens: 5 }).end();
          });
          adapter.setUsage({ inputTokens: 50, outputTokens: 5 }).end();
        });
        fw.setUsage({ inputTokens: 50, outputTokens: 5 }).end();
      });
      chain.end();
    });
    agent.end();
    const spans = h.t.spans();
    expect(spans).toHaveLength(5);
    expect(usageSum(spans)).toBe(50);
    expect(usageSum(spans, 'gen_ai.usage.output_tokens')).toBe(5);
    const [provider, adapter, fw] = spans;
    expect(parentId(provider)).toBe(adapter.spanContext().spanId);
    expect(provider.attributes['gen_ai.usage.input_tokens']).toBe(50);
    expect(adapter.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    expect(fw.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    expect(await durationCount(h)).toBe(1);
  });

  it('a provider span without usage leaves usage to the framework span; duration once', async () => {
    const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
    fw.with(() => h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).end()); // e.g. a stream without usage
    fw.setUsage({ inputTokens: 12, outputTokens: 4 }).end();
    const [inner, outer] = h.t.spans();
    expect(inner.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(outer.attributes['gen_ai.usage.input_tokens']).toBe(12);
    expect(outer.attributes['genai_otel.usage.recorded_by_child']).toBeUndefined();
    expect(await durationCount(h)).toBe(1);
    expect(tokenSums((await h.t.metricsByName()).get('gen_ai.client.token.usage')).input).toEqual({
      sum: 12,
      count: 1,
    });
  });

  it('separate traces and separate top-level calls never affect each other', () => {
    for (let i = 0; i < 3; i++) {
      const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
      fw.with(() =>
        h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 1 }).end(),
      );
      fw.setUsage({ inputTokens: 1 }).end();
    }
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 100 }).end();
    expect(usageSum(h.t.spans())).toBe(103);
  });

  it('embeddings under a framework embedding span de-duplicate the same way', () => {
    const fw = h.telemetry.startSpan({ kind: 'EMBEDDING', name: 'e' });
    fw.with(() =>
      h.telemetry.startSpan({ kind: 'EMBEDDING', name: 'e' }).setUsage({ inputTokens: 9 }).end(),
    );
    fw.setUsage({ inputTokens: 9 }).end();
    expect(usageSum(h.t.spans())).toBe(9);
  });
});

interface Node {
  llm: boolean;
  tokens: number;
  children: Node[];
}

describe('de-dup invariant over random call trees (fast-check, fixed seed)', () => {
  const level = (depth: number): fc.Arbitrary<Node> =>
    fc.record({
      llm: fc.boolean(),
      tokens: fc.integer({ min: 1, max: 1000 }),
      children: depth === 0 ? fc.constant([]) : fc.array(level(depth - 1), { maxLength: 3 }),
    });
  const tree = level(4);

  const hasLLM = (n: Node): boolean => n.llm || n.children.some(hasLLM);

  it('sum of gen_ai.usage.* over the trace and the token metric count each call once', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (root) => {
        const h = harness();
        let calls = 0;
        let expected = 0;
        // Frameworks report the tokens of the calls below them, like LangChain does.
        const run = (n: Node): number => {
          const s = h.telemetry.startSpan({ kind: n.llm ? 'LLM' : 'CHAIN', name: 'x' });
          let below = 0;
          s.with(() => {
            for (const c of n.children) below += run(c);
          });
          let observed = below;
          if (n.llm && !n.children.some(hasLLM)) {
            observed = n.tokens;
            calls++;
            expected += n.tokens;
          }
          if (n.llm) s.setUsage({ inputTokens: observed, outputTokens: 1 });
          s.end();
          return observed;
        };
        run(root);
        try {
          expect(usageSum(h.t.spans())).toBe(expected);
          const m = await h.t.metricsByName();
          const tokens = tokenSums(m.get('gen_ai.client.token.usage'));
          expect(tokens.input?.sum ?? 0).toBe(expected);
          expect(tokens.input?.count ?? 0).toBe(calls);
          expect(await durationCount(h)).toBe(calls);
        } finally {
          await h.t.shutdown();
        }
      }),
      { seed: 4242, numRuns: 60 },
    );
  });
});

describe('two copies of core in one process (ESM + CJS, or two versions)', () => {
  const dist = new URL('../dist/index.cjs', import.meta.url);
  it.skipIf(!existsSync(dist))('share usage slots and context attributes', async () => {
    const cjs = createRequire(import.meta.url)(fileURLToPath(dist));
    const h = harness();
    const other = new cjs.GenAITelemetry(
      () => h.t.tracerProvider.getTracer('cjs'),
      () => h.t.meterProvider.getMeter('cjs'),
      () => ({}),
      'anthropic',
    );
    withGenAIContext({ userId: 'u-shared' }, () => {
      const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm' }); // ESM source copy
      fw.with(() => other.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 6 }).end());
      fw.setUsage({ inputTokens: 6 }).end();
    });
    const [provider, framework] = h.t.spans();
    expect(provider.attributes['gen_ai.usage.input_tokens']).toBe(6);
    expect(provider.attributes['user.id']).toBe('u-shared');
    expect(framework.attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    await h.t.shutdown();
  });
});
