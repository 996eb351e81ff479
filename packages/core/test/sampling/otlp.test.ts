/**
 * Kept spans through the real OTLP serialisers (`@opentelemetry/otlp-transformer`, reached
 * through @genai-otel/node's OTLP exporter as the sampler bench does): a forwarded span must
 * serialise exactly like the SDK's own span, plus the sampling attributes and the new
 * `trace_state`.
 */
import { createRequire } from 'node:module';
import { createTracerProvider, installGlobalContext, sdkLine } from '@genai-otel/test-utils';
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveSamplingSpanProcessor, createHeadSampler } from '../../src/sampling/index.js';
import { FakeClock } from './traffic.js';

beforeAll(() => installGlobalContext());
afterAll(() => trace.disable());

function transformer(): any {
  const fromNode = createRequire(new URL('../../../node/package.json', import.meta.url));
  const fromExporter = createRequire(fromNode.resolve('@opentelemetry/exporter-trace-otlp-proto'));
  return fromExporter('@opentelemetry/otlp-transformer');
}

/** Every field an exporter may read, taken from a span through its public getters. */
const FIELDS = [
  'name',
  'kind',
  'parentSpanContext',
  'parentSpanId',
  'startTime',
  'endTime',
  'status',
  'attributes',
  'links',
  'events',
  'duration',
  'ended',
  'resource',
  'instrumentationScope',
  'instrumentationLibrary',
  'droppedAttributesCount',
  'droppedEventsCount',
  'droppedLinksCount',
] as const;

/** A plain-object copy of a span (what a straightforward reader of the span sees). */
function plain(
  span: any,
  attributes = span.attributes,
  traceState = span.spanContext().traceState,
) {
  const out: any = {};
  for (const f of FIELDS) if (span[f] !== undefined) out[f] = span[f];
  out.attributes = attributes;
  const sc = { ...span.spanContext(), traceState };
  out.spanContext = () => sc;
  return out;
}

describe(`kept spans through the OTLP serialisers (SDK line ${sdkLine})`, () => {
  it('serialise like the SDK span plus the sampling attributes and trace state', async () => {
    const { JsonTraceSerializer, ProtobufTraceSerializer } = transformer();
    const originals: any[] = [];
    const forwarded: any[] = [];
    const capture = (into: any[]) => ({
      onStart() {},
      onEnd(s: any) {
        into.push(s);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    });
    const processor = new AdaptiveSamplingSpanProcessor({
      next: capture(forwarded),
      clock: new FakeClock(),
      sweepIntervalMs: 0,
      decisionWaitMs: 0,
      minRate: 1,
      maxRate: 1,
    });
    const provider = createTracerProvider({
      spanProcessors: [capture(originals), processor],
      sampler: createHeadSampler({ ratio: 1 }),
    });
    const tracer = provider.getTracer('otlp-check', '1.2.3');
    // A remote parent with other vendors' trace state, so the stamped state merges into it.
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=abc,ot=rv:fffffffffffff0'),
    });
    const start = Date.UTC(2026, 0, 1);
    const root = tracer.startSpan(
      'POST /chat',
      { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.method': 'POST' } },
      remote,
    );
    const ctx = trace.setSpan(context.active(), root);
    const llm = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: start + 1,
        attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.stop': ['a', 'b'] },
        links: [{ context: trace.getSpanContext(remote)!, attributes: { 'link.kind': 'cause' } }],
      },
      ctx,
    );
    llm.addEvent('gen_ai.choice', { index: 0, 'gen_ai.finish_reason': 'stop' }, start + 2);
    llm.setAttribute('gen_ai.usage.input_tokens', 120);
    llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    llm.end(start + 3);
    const tool = tracer.startSpan('execute_tool search', { startTime: start + 3 }, ctx);
    tool.end(start + 4);
    root.end(start + 10);
    await provider.forceFlush();

    expect(forwarded).toHaveLength(3);
    const json = (spans: any[]) =>
      JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)).toString('utf8'));
    const proto = (spans: any[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
    for (const fwd of forwarded) {
      const orig = originals.find((o) => o.spanContext().spanId === fwd.spanContext().spanId);
      expect(fwd).not.toBe(orig);
      const extra = Object.keys(fwd.attributes).filter((k) => !(k in orig.attributes));
      expect(extra).toEqual(
        expect.arrayContaining(['sampling.reason', 'sampling.adjusted_count', 'SampleRate']),
      );
      expect(extra.every((k) => k === 'SampleRate' || k.startsWith('sampling.'))).toBe(true);
      const ts = fwd.spanContext().traceState.serialize();
      expect(ts).toContain('vendor=abc');
      expect(ts).toContain('th:0');

      // JSON: the SDK span's document, with the attributes appended and the new trace state.
      const expected = json([orig]);
      const e = expected.resourceSpans[0].scopeSpans[0].spans[0];
      const got = json([fwd]);
      const g = got.resourceSpans[0].scopeSpans[0].spans[0];
      expect(g.attributes.slice(0, e.attributes.length)).toEqual(e.attributes);
      expect(g.attributes.slice(e.attributes.length).map((a: any) => a.key)).toEqual(extra);
      expect(g.traceState).toBe(ts);
      e.attributes = g.attributes;
      e.traceState = ts;
      expect(got).toEqual(expected);

      // Protobuf: byte for byte what a plain reading of the SDK span with the same additions
      // gives (and that plain reading serialises the SDK span itself identically).
      expect(proto([plain(orig)]).equals(proto([orig]))).toBe(true);
      const ref = plain(
        orig,
        { ...orig.attributes, ...pick(fwd.attributes, extra) },
        fwd.spanContext().traceState,
      );
      expect(proto([fwd]).equals(proto([ref]))).toBe(true);
      expect(proto([fwd]).equals(proto([orig]))).toBe(false);
    }
    await provider.shutdown();
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = o[k];
  return out;
}
