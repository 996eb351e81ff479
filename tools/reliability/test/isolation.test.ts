/**
 * Isolation: 1,000 concurrent requests, each inside its own caller span and with its own user
 * id (half through `withGenAIContext`, half through raw W3C baggage from request headers), each
 * running a LangChain chain, a LlamaIndex query or an Anthropic call. No span may carry another
 * request's user id, sit in another request's trace, or have a parent outside its request.
 */
import { ATTR_USER_ID, GenAIContextSpanProcessor, withGenAIContext } from '@genai-otel/core';
import { parentId } from '@genai-otel/test-utils';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANTHROPIC_PARAMS, createWorld, type World } from './_harness.js';

const N = Number(process.env.RELIABILITY_ISOLATION_N ?? 1000);

let w: World;
beforeAll(async () => {
  w = await createWorld({ extraProcessors: [new GenAIContextSpanProcessor()] });
});
afterAll(() => w.close());

it(`${N} concurrent requests never share attributes, traces or parents`, async () => {
  w.t.reset(); // the index was built (embedding spans) before the test
  w.tracker.reset();
  const tracer = w.t.tracerProvider.getTracer('caller');
  const callers = new Map<string, { user: string; spanId: string; kind: number }>();

  const work = async (i: number) => {
    const kind = i % 3;
    if (kind === 0) {
      const out = await w.langchain.chain([`reply ${i}`]).invoke({ question: `q${i}` });
      expect(out).toBe(`reply ${i}`);
    } else if (kind === 1) {
      const r = await w.llama.index.asQueryEngine().query({ query: `question ${i}` });
      expect(String(r)).toContain(`${i}`);
    } else {
      const r = await w.anthropic.messages.create({ ...ANTHROPIC_PARAMS, model: `claude-u${i}` });
      expect(r.model).toBe(`claude-u${i}`);
    }
  };

  await Promise.all(
    Array.from({ length: N }, (_, i) => {
      const user = `u${i}`;
      const viaBaggage = i % 2 === 1;
      const base = viaBaggage
        ? propagation.extract(ROOT_CONTEXT, { baggage: `user.id=${user},other.key=x${i}` })
        : ROOT_CONTEXT;
      return context.with(base, () =>
        tracer.startActiveSpan(`caller ${i}`, async (span: any) => {
          callers.set(span.spanContext().traceId, {
            user,
            spanId: span.spanContext().spanId,
            kind: i % 3,
          });
          try {
            if (viaBaggage) await work(i);
            else await withGenAIContext({ userId: user }, () => work(i));
          } finally {
            span.end();
          }
        }),
      );
    }),
  );

  expect(w.tracker.open()).toEqual([]);
  const spans = w.t.spans();
  const byId = new Map(spans.map((s: any) => [s.spanContext().spanId, s]));
  const llmPerTrace = new Map<string, number>();
  for (const s of spans) {
    const traceId = s.spanContext().traceId;
    const caller = callers.get(traceId);
    expect(caller, `span ${s.name} in an unknown trace`).toBeDefined();
    if (!caller) continue;
    if (s.name.startsWith('caller ')) {
      expect(s.spanContext().spanId).toBe(caller.spanId);
      continue;
    }
    // Same request's user id, never another one.
    expect(s.attributes[ATTR_USER_ID], s.name).toBe(caller.user);
    // The parent chain stays inside the request and ends at the caller span.
    let cur: any = s;
    for (let depth = 0; depth < 20 && parentId(cur) !== caller.spanId; depth++) {
      const p = byId.get(parentId(cur)!);
      expect(p, `${s.name}: parent outside the request`).toBeDefined();
      expect(p.spanContext().traceId).toBe(traceId);
      cur = p;
    }
    expect(parentId(cur)).toBe(caller.spanId);
    if (s.name.startsWith('chat ')) {
      llmPerTrace.set(traceId, (llmPerTrace.get(traceId) ?? 0) + 1);
      if (caller.kind === 2) {
        const i = caller.user.slice(1);
        expect(s.attributes['gen_ai.request.model']).toBe(`claude-u${i}`);
      }
    }
    // Baggage keys outside the allowlist never become attributes.
    expect(Object.keys(s.attributes)).not.toContain('other.key');
  }
  // Exactly one model span per request.
  expect(llmPerTrace.size).toBe(N);
  for (const n of llmPerTrace.values()) expect(n).toBe(1);
  // Caller spans with baggage carry their own user; the others start before withGenAIContext.
  const callerSpans = spans.filter((s: any) => s.name.startsWith('caller '));
  expect(callerSpans).toHaveLength(N);
  for (const s of callerSpans) {
    const i = Number(s.name.slice('caller '.length));
    expect(s.attributes[ATTR_USER_ID]).toBe(i % 2 === 1 ? `u${i}` : undefined);
  }
  expect(trace.getActiveSpan()).toBeUndefined();
}, 120_000);
