/**
 * The Collector configuration cannot run here (no otelcol-contrib on these machines), so this
 * test checks what can be checked without it:
 * - the file is well-formed: every component a pipeline names is defined, tier 1 routes by
 *   trace id to the port tier 2 listens on, and tier 2 runs `tail_sampling`;
 * - the policies only use policy types and fields of the contrib `tail_sampling` processor,
 *   and the attributes they test are the ones annotate mode writes;
 * - the policies, evaluated the way `tail_sampling` evaluates them (a trace is kept if any
 *   policy samples it; attribute and status policies look at every span of the trace), keep
 *   the same traces as the in-process sampler for errors and slow traces, over real SDK spans
 *   exported by `AdaptiveSamplingSpanProcessor` in annotate mode.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type AdaptiveSamplingOptions,
  AdaptiveSamplingSpanProcessor,
  ATTR_SAMPLING_ERROR,
  ATTR_SAMPLING_REASON,
  ATTR_SAMPLING_SLOW,
  createHeadSampler,
} from '@genai-otel/core';
import {
  createTracerProvider,
  installGlobalContext,
  simpleProcessor,
  traceSdk,
} from '@genai-otel/test-utils';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Obj = Record<string, any>;
const config: Obj = parse(
  readFileSync(fileURLToPath(new URL('../otel-collector.yaml', import.meta.url)), 'utf8'),
);
const tail: Obj = config.processors.tail_sampling;

/** Policy types of the contrib `tail_sampling` processor, with the fields each one takes. */
const POLICY_FIELDS: Record<string, string[]> = {
  always_sample: [],
  latency: ['threshold_ms', 'upper_threshold_ms'],
  numeric_attribute: ['key', 'min_value', 'max_value', 'invert_match'],
  probabilistic: ['hash_salt', 'sampling_percentage'],
  status_code: ['status_codes'],
  string_attribute: ['key', 'values', 'enabled_regex_matching', 'cache_max_size', 'invert_match'],
  boolean_attribute: ['key', 'value', 'invert_match'],
  rate_limiting: ['spans_per_second'],
  span_count: ['min_spans', 'max_spans'],
  trace_state: ['key', 'values'],
  ottl_condition: ['error_mode', 'span', 'spanevent'],
};
const TAIL_SAMPLING_FIELDS = [
  'decision_wait',
  'num_traces',
  'expected_new_traces_per_sec',
  'decision_cache',
  'policies',
];

beforeAll(() => installGlobalContext());

describe('example: collector-tail-sampling configuration', () => {
  it('defines every component its pipelines use, and routes tier 1 to tier 2 by trace id', () => {
    const pipelines: Obj = config.service.pipelines;
    expect(Object.keys(pipelines).sort()).toEqual(['traces/gateway', 'traces/sampler']);
    for (const [name, p] of Object.entries(pipelines)) {
      expect(name.startsWith('traces')).toBe(true);
      for (const r of p.receivers) expect(config.receivers, r).toHaveProperty([r]);
      for (const x of p.processors ?? []) expect(config.processors, x).toHaveProperty([x]);
      for (const e of p.exporters) expect(config.exporters, e).toHaveProperty([e]);
    }
    for (const e of config.service.extensions) expect(config.extensions).toHaveProperty([e]);
    // Tier 1 -> tier 2: the load balancer sends by trace id to the sampler receiver's port.
    expect(pipelines['traces/gateway'].exporters).toEqual(['loadbalancing']);
    const lb = config.exporters.loadbalancing;
    expect(lb.routing_key).toBe('traceID');
    const samplerReceiver = config.receivers[pipelines['traces/sampler'].receivers[0]];
    expect(samplerReceiver.protocols.grpc.endpoint).toBe(`0.0.0.0:${lb.resolver.dns.port}`);
    expect(pipelines['traces/gateway'].receivers).not.toContain(
      pipelines['traces/sampler'].receivers[0],
    );
    // Tier 2 decides on whole traces; memory_limiter first, batch after the decision.
    expect(pipelines['traces/sampler'].processors).toEqual([
      'memory_limiter',
      'tail_sampling',
      'batch',
    ]);
  });

  it('uses only tail_sampling fields and policy types, on the attributes annotate mode writes', () => {
    for (const key of Object.keys(tail)) expect(TAIL_SAMPLING_FIELDS).toContain(key);
    expect(Object.keys(tail.decision_cache).sort()).toEqual([
      'non_sampled_cache_size',
      'sampled_cache_size',
    ]);
    const names = new Set<string>();
    for (const policy of tail.policies as Obj[]) {
      expect(Object.keys(POLICY_FIELDS), policy.name).toContain(policy.type);
      expect(names.has(policy.name), `duplicate policy ${policy.name}`).toBe(false);
      names.add(policy.name);
      // Exactly the block of its type, with known fields only.
      expect(Object.keys(policy).sort()).toEqual(
        ['name', 'type', ...(POLICY_FIELDS[policy.type].length ? [policy.type] : [])].sort(),
      );
      for (const field of Object.keys(policy[policy.type] ?? {}))
        expect(POLICY_FIELDS[policy.type], `${policy.name}.${field}`).toContain(field);
    }
    const flags = (tail.policies as Obj[])
      .filter((p) => p.type === 'boolean_attribute')
      .map((p) => [p.boolean_attribute.key, p.boolean_attribute.value]);
    expect(flags).toEqual([
      [ATTR_SAMPLING_ERROR, true],
      [ATTR_SAMPLING_SLOW, true],
    ]);
  });

  it('keeps the same error and slow traces as the in-process sampler', async () => {
    // The same traffic through the processor in both modes; the baseline share is 0 so that
    // only error and slow traces are kept in process.
    const traffic = (tracer: any) => {
      const start = Date.UTC(2026, 0, 1);
      const shapes: [string, { durationMs: number; status?: boolean; errorType?: boolean }][] = [
        ['ok-1', { durationMs: 10 }],
        ['error-status', { durationMs: 10, status: true }],
        ['ok-2', { durationMs: 20 }],
        ['error-type-only', { durationMs: 10, errorType: true }],
        ['slow', { durationMs: 5000 }],
        ['ok-3', { durationMs: 30 }],
      ];
      for (const [name, s] of shapes) {
        const root = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: start });
        const ctx = trace.setSpan(context.active(), root);
        const llm = tracer.startSpan('chat gpt-4o', { startTime: start + 1 }, ctx);
        if (s.status) llm.setStatus({ code: SpanStatusCode.ERROR });
        if (s.errorType) llm.setAttribute('error.type', 'ValidationError');
        llm.end(start + 2);
        root.end(start + s.durationMs);
      }
    };
    const run = async (mode: 'sample' | 'annotate') => {
      const sdk = traceSdk();
      const exporter = new sdk.InMemorySpanExporter();
      const options: AdaptiveSamplingOptions = {
        next: simpleProcessor(exporter),
        mode,
        minRate: 0,
        maxRate: 0,
        decisionWaitMs: 0,
        sweepIntervalMs: 0,
        slowThresholdMs: 1000, // the fallback threshold, until enough latencies are seen
      };
      const provider = createTracerProvider({
        spanProcessors: [new AdaptiveSamplingSpanProcessor(options)],
        sampler: createHeadSampler({ ratio: 1 }),
      });
      traffic(provider.getTracer('collector-config-test'));
      await provider.forceFlush();
      const spans: any[] = exporter.getFinishedSpans();
      await provider.shutdown();
      return spans;
    };
    const rootName = (spans: any[], traceId: string) =>
      spans.find((s) => s.spanContext().traceId === traceId && !s.parentSpanContext)?.name;
    const byTrace = (spans: any[]) => {
      const traces = new Map<string, any[]>();
      for (const s of spans) {
        const id = s.spanContext().traceId;
        traces.set(id, [...(traces.get(id) ?? []), s]);
      }
      return traces;
    };

    // In process: the kept traces and why.
    const sampled = await run('sample');
    const keptInProcess = [...byTrace(sampled)].map(([id, spans]) => [
      rootName(spans, id),
      spans[0].attributes[ATTR_SAMPLING_REASON],
    ]);
    expect(keptInProcess.sort()).toEqual([
      ['error-status', 'error'],
      ['error-type-only', 'error'],
      ['slow', 'slow'],
    ]);

    // Annotate mode exports everything; the Collector's policies decide.
    const annotated = await run('annotate');
    const traces = byTrace(annotated);
    expect(traces.size).toBe(6);
    const deterministic = (tail.policies as Obj[]).filter((p) => p.type !== 'probabilistic');
    const keptByCollector = [...traces]
      .filter(([, spans]) => deterministic.some((p) => policySamples(p, spans)))
      .map(([id, spans]) => rootName(spans, id));
    expect(keptByCollector.sort()).toEqual(keptInProcess.map(([name]) => name).sort());
    // The rest is left to the probabilistic policy alone.
    expect((tail.policies as Obj[]).filter((p) => p.type === 'probabilistic')).toHaveLength(1);
  });
});

/** How `tail_sampling` evaluates the policy types this file uses, over one trace's spans. */
function policySamples(policy: Obj, spans: any[]): boolean {
  switch (policy.type) {
    case 'status_code': {
      const codes = new Set<string>(policy.status_code.status_codes);
      const name = (code: number) =>
        code === SpanStatusCode.ERROR ? 'ERROR' : code === SpanStatusCode.OK ? 'OK' : 'UNSET';
      return spans.some((s) => codes.has(name(s.status.code)));
    }
    case 'boolean_attribute': {
      const { key, value } = policy.boolean_attribute;
      return spans.some((s) => s.attributes[key] === value);
    }
    default:
      throw new Error(`policy type ${policy.type} not modelled by this test`);
  }
}
