import { createTestTelemetry } from '@genai-otel/test-utils';
import {
  type Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ContextChain, MAX_CHAIN_LENGTH } from '../src/span-context-chain.js';
import { GenAITelemetry } from '../src/telemetry.js';

const KEYS = [0, 1, 2, 3].map((i) => createContextKey(`k${i}`));

type Op = { op: 'set'; key: number; value: number } | { op: 'delete'; key: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.nat(3), value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(3) }),
);

function apply(ctx: Context, op: Op): Context {
  return op.op === 'set' ? ctx.setValue(KEYS[op.key], op.value) : ctx.deleteValue(KEYS[op.key]);
}

describe('ContextChain', () => {
  it('reads like an OpenTelemetry context after any sequence of sets and deletes (fast-check, fixed seed)', () => {
    const start = ROOT_CONTEXT.setValue(KEYS[3], 'below');
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 3 * MAX_CHAIN_LENGTH }), (ops) => {
        let expected: Context = start;
        let actual: Context = ContextChain.over(start);
        const history: [Context, Context][] = [];
        for (const op of ops) {
          expected = apply(expected, op);
          actual = apply(actual, op);
          history.push([expected, actual]);
        }
        // Every intermediate context still reads as it did (contexts are immutable).
        for (const [e, a] of history)
          for (const key of KEYS) expect(a.getValue(key)).toBe(e.getValue(key));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('bounds the walk: a long chain is flattened onto the context below it', () => {
    let ctx: Context = ContextChain.over(ROOT_CONTEXT);
    for (let i = 0; i < 10 * MAX_CHAIN_LENGTH; i++) ctx = ctx.setValue(KEYS[i % 3], i);
    let depth = 0;
    for (let node: unknown = ctx; node instanceof ContextChain; depth++)
      node = (node as unknown as { parent: unknown }).parent;
    expect(depth).toBeLessThanOrEqual(MAX_CHAIN_LENGTH);
    const last = 10 * MAX_CHAIN_LENGTH - 1;
    expect(ctx.getValue(KEYS[last % 3])).toBe(last);
    expect(ctx.getValue(KEYS[(last - 1) % 3])).toBe(last - 1);
  });

  it('over() reuses a chain and never changes what the context reads', () => {
    const base = ROOT_CONTEXT.setValue(KEYS[0], 'a');
    const chain = ContextChain.over(base);
    expect(ContextChain.over(chain)).toBe(chain);
    expect(chain.getValue(KEYS[0])).toBe('a');
    expect(chain.getValue(KEYS[1])).toBeUndefined();
  });

  describe('as the context of GenAI spans', () => {
    let t: ReturnType<typeof createTestTelemetry>;
    afterEach(() => t.shutdown());

    it('works with the API, the SDK, propagation and the context manager', () => {
      t = createTestTelemetry();
      const telemetry = new GenAITelemetry(
        () => t.tracerProvider.getTracer('test'),
        () => t.meterProvider.getMeter('test'),
        () => ({}),
        'test',
      );
      const baggage = propagation.createBaggage({ tenant: { value: 't1' } });
      const caller = propagation.setBaggage(ROOT_CONTEXT, baggage);
      const chain = telemetry.startSpan({ kind: 'CHAIN', name: 'outer', parentContext: caller });
      const llm = telemetry.startSpan({ kind: 'LLM', name: 'm', parentContext: chain.context });
      expect(chain.context).toBeInstanceOf(ContextChain);
      expect(trace.getSpan(llm.context)).toBe(llm.span);
      expect(propagation.getBaggage(llm.context)?.getEntry('tenant')?.value).toBe('t1');
      const carrier: Record<string, string> = {};
      propagation.inject(llm.context, carrier);
      // An SDK span started by other code inside the LLM call nests under it.
      const inner = context.with(llm.context, () => {
        const s = t.tracerProvider.getTracer('other').startSpan('GET /v1/messages');
        s.end();
        return s;
      });
      llm.end();
      chain.end();
      const byName = Object.fromEntries(t.spans().map((s: any) => [s.name, s]));
      expect(byName['GET /v1/messages'].parentSpanContext?.spanId).toBe(
        llm.span.spanContext().spanId,
      );
      expect(byName['chat m'].parentSpanContext?.spanId).toBe(chain.span.spanContext().spanId);
      expect(inner.spanContext().traceId).toBe(chain.span.spanContext().traceId);
      // The caller's context is unchanged.
      expect(trace.getSpan(caller)).toBeUndefined();
      expect(trace.getSpan(chain.context.deleteValue(createContextKey('unrelated')))).toBe(
        chain.span,
      );
      expect(trace.getSpan(trace.deleteSpan(llm.context))).toBeUndefined();
    });
  });
});
