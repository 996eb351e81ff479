import { setImmediate as tick } from 'node:timers/promises';
import { createTestTelemetry } from '@genai-otel/test-utils';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GENAI_BAGGAGE_KEYS,
  GenAIContextSpanProcessor,
  GenAITelemetry,
  getGenAIContextAttributes,
  withGenAIContext,
} from '../src/index.js';

function setup(processor?: GenAIContextSpanProcessor) {
  const t = createTestTelemetry({ extraProcessors: processor ? [processor] : [] });
  const telemetry = new GenAITelemetry(
    () => t.tracerProvider.getTracer('genai'),
    () => t.meterProvider.getMeter('genai'),
    () => ({}),
    'test',
  );
  // Stands for any other instrumentation (HTTP, DB...) in the same process.
  const other = t.tracerProvider.getTracer('other-instrumentation');
  return { t, telemetry, other };
}

describe('withGenAIContext', () => {
  let s: ReturnType<typeof setup> | undefined;
  afterEach(async () => {
    await s?.t.shutdown();
    s = undefined;
  });

  it('stamps our spans, including inside nested async work, and merges nested calls', async () => {
    s = setup();
    const { telemetry, t } = s;
    await withGenAIContext(
      {
        conversationId: 'conv-1',
        userId: 'user-1',
        metadata: { tenant: 'acme', tier: 2, beta: true },
        tags: ['a'],
      },
      async () => {
        await tick();
        telemetry.startSpan({ kind: 'CHAIN', name: 'outer' }).end();
        await withGenAIContext({ sessionId: 'sess-9', userId: 'user-2', tags: ['b'] }, async () => {
          await new Promise((r) => setTimeout(r, 1));
          await Promise.all(
            [1, 2].map(async (i) => {
              await tick();
              telemetry.startSpan({ kind: 'TOOL', name: `inner-${i}` }).end();
            }),
          );
        });
        telemetry.startSpan({ kind: 'CHAIN', name: 'after' }).end();
      },
    );
    telemetry.startSpan({ kind: 'CHAIN', name: 'outside' }).end();

    const outer = t.spanByName('outer');
    expect(outer.attributes).toMatchObject({
      'gen_ai.conversation.id': 'conv-1',
      'user.id': 'user-1',
      'genai_otel.metadata.tenant': 'acme',
      'genai_otel.metadata.tier': 2,
      'genai_otel.metadata.beta': true,
      'genai_otel.tags': ['a'],
    });
    for (const name of ['execute_tool inner-1', 'execute_tool inner-2']) {
      expect(t.spanByName(name).attributes).toMatchObject({
        'gen_ai.conversation.id': 'conv-1',
        'user.id': 'user-2',
        'session.id': 'sess-9',
        'genai_otel.metadata.tenant': 'acme',
        'genai_otel.tags': ['a', 'b'],
      });
    }
    expect(t.spanByName('after').attributes['user.id']).toBe('user-1');
    expect(t.spanByName('after').attributes['session.id']).toBeUndefined();
    expect(t.spanByName('outside').attributes['user.id']).toBeUndefined();
  });

  it('writes W3C baggage so the ids cross service boundaries', () => {
    s = setup();
    const carrier: Record<string, string> = {};
    withGenAIContext(
      { conversationId: 'c 1', userId: 'u1', sessionId: 's1', metadata: { m: 'x' } },
      () => {
        const bag = propagation.getBaggage(context.active());
        expect(bag?.getEntry('gen_ai.conversation.id')?.value).toBe('c 1');
        expect(bag?.getEntry('user.id')?.value).toBe('u1');
        expect(bag?.getEntry('session.id')?.value).toBe('s1');
        expect(bag?.getEntry('genai_otel.metadata.m')).toBeUndefined(); // metadata stays local
        propagation.inject(context.active(), carrier);
      },
    );
    expect(carrier.baggage).toContain('user.id=u1');
    expect(carrier.baggage).toContain('session.id=s1');
    expect(carrier.baggage).toContain('gen_ai.conversation.id=c%201');
  });

  it('keeps existing baggage entries and passes return values and errors through', async () => {
    s = setup();
    const upstream = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({ 'other.key': { value: 'kept' } }),
    );
    context.with(upstream, () =>
      withGenAIContext({ userId: 'u' }, () => {
        const bag = propagation.getBaggage(context.active())!;
        expect(bag.getEntry('other.key')?.value).toBe('kept');
        expect(bag.getEntry('user.id')?.value).toBe('u');
      }),
    );
    const p = Promise.resolve(42);
    expect(withGenAIContext({ userId: 'u' }, () => p)).toBe(p);
    expect(() =>
      withGenAIContext({ userId: 'u' }, () => {
        throw new RangeError('user error');
      }),
    ).toThrow(RangeError);
    // Hostile input: fn still runs exactly once.
    let runs = 0;
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    ) as any;
    expect(withGenAIContext(hostile, () => ++runs)).toBe(1);
    expect(runs).toBe(1);
  });

  it('bounds values: long ids are cut, metadata entries capped, empty ids skipped', () => {
    s = setup();
    const metadata = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    withGenAIContext({ userId: 'x'.repeat(10_000), sessionId: '', metadata }, () => {
      const attrs = getGenAIContextAttributes()!;
      expect((attrs['user.id'] as string).length).toBe(256);
      expect(attrs['session.id']).toBeUndefined();
      expect(Object.keys(attrs).filter((k) => k.startsWith('genai_otel.metadata.'))).toHaveLength(
        32,
      );
    });
  });

  it('200 concurrent requests: no cross-talk', async () => {
    s = setup(new GenAIContextSpanProcessor());
    const { telemetry, other, t } = s;
    const request = (i: number) =>
      withGenAIContext(
        { conversationId: `conv-${i}`, userId: `user-${i}`, sessionId: `sess-${i}` },
        async () => {
          for (let k = 0; k < i % 5; k++) await tick();
          const llm = telemetry.startSpan({ kind: 'LLM', name: `m-${i}` });
          await llm.with(async () => {
            await tick();
            other.startSpan(`http-${i}`).end(); // another instrumentation's span
            await withGenAIContext({ metadata: { step: `s-${i}` } }, async () => {
              if (i % 3 === 0) await new Promise((r) => setTimeout(r, 0));
              telemetry.startSpan({ kind: 'TOOL', name: `tool-${i}` }).end();
            });
          });
          llm.end();
        },
      );
    await Promise.all(Array.from({ length: 200 }, (_, i) => request(i)));
    const spans = t.spans();
    expect(spans).toHaveLength(600);
    for (const span of spans) {
      const i = /-(\d+)$/.exec(span.name)![1];
      expect(span.attributes['gen_ai.conversation.id'], span.name).toBe(`conv-${i}`);
      expect(span.attributes['user.id'], span.name).toBe(`user-${i}`);
      expect(span.attributes['session.id'], span.name).toBe(`sess-${i}`);
      if (span.name.startsWith('execute_tool'))
        expect(span.attributes['genai_otel.metadata.step']).toBe(`s-${i}`);
    }
  });
});

describe('GenAIContextSpanProcessor', () => {
  let s: ReturnType<typeof setup> | undefined;
  afterEach(async () => {
    await s?.t.shutdown();
    s = undefined;
  });

  const upstreamContext = (header: string) =>
    propagation.extract(ROOT_CONTEXT, { baggage: header });

  it("stamps other instrumentations' spans with the context attributes", () => {
    s = setup(new GenAIContextSpanProcessor());
    withGenAIContext({ userId: 'u1', metadata: { tenant: 'acme' } }, () => {
      s!.other.startSpan('GET /x').end();
    });
    expect(s.t.spanByName('GET /x').attributes).toMatchObject({
      'user.id': 'u1',
      'genai_otel.metadata.tenant': 'acme',
    });
  });

  it('copies only allowlisted baggage keys from upstream, never other baggage', () => {
    s = setup(new GenAIContextSpanProcessor());
    const ctx = upstreamContext(
      'user.id=up-user,session.id=up-sess,gen_ai.conversation.id=up-conv,' +
        'auth.token=SECRET,internal.tenant=t1,user.email=a%40b.c',
    );
    context.with(ctx, () => s!.other.startSpan('downstream').end());
    const attrs = s.t.spanByName('downstream').attributes;
    expect(attrs).toMatchObject({
      'user.id': 'up-user',
      'session.id': 'up-sess',
      'gen_ai.conversation.id': 'up-conv',
    });
    for (const key of ['auth.token', 'internal.tenant', 'user.email'])
      expect(attrs[key]).toBeUndefined();
    expect(JSON.stringify(attrs)).not.toContain('SECRET');
  });

  it('in-process values win over upstream baggage; custom allowlist and length cap', () => {
    s = setup(
      new GenAIContextSpanProcessor({ baggageKeys: ['user.id', 'tenant.id'], maxValueLength: 4 }),
    );
    const ctx = upstreamContext('user.id=forged-user,tenant.id=tenant-long,session.id=s');
    context.with(ctx, () => {
      s!.other.startSpan('a').end();
      withGenAIContext({ userId: 'real-user' }, () => s!.other.startSpan('b').end());
    });
    const a = s.t.spanByName('a').attributes;
    expect(a['user.id']).toBe('forg');
    expect(a['tenant.id']).toBe('tena');
    expect(a['session.id']).toBeUndefined(); // not in the custom allowlist
    expect(s.t.spanByName('b').attributes['user.id']).toBe('real-user');
  });

  it('an empty allowlist copies no baggage at all; default keys are the ones we write', () => {
    expect(Object.values(GENAI_BAGGAGE_KEYS).sort()).toEqual(
      ['gen_ai.conversation.id', 'session.id', 'user.id'].sort(),
    );
    s = setup(new GenAIContextSpanProcessor({ baggageKeys: [] }));
    context.with(upstreamContext('user.id=u'), () => s!.other.startSpan('x').end());
    expect(s.t.spanByName('x').attributes['user.id']).toBeUndefined();
  });

  it('never throws into span creation', async () => {
    const p = new GenAIContextSpanProcessor();
    const hostileSpan = {
      setAttribute() {
        throw new Error('x');
      },
      setAttributes() {
        throw new Error('x');
      },
    } as any;
    expect(() => p.onStart(hostileSpan, upstreamContext('user.id=u'))).not.toThrow();
    expect(() => p.onEnd()).not.toThrow();
    await expect(p.forceFlush()).resolves.toBeUndefined();
    await expect(p.shutdown()).resolves.toBeUndefined();
  });
});
