import { createTestTelemetry, parentId } from '@genai-otel/test-utils';
import {
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  type Meter,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyError,
  type GenAIInstrumentationConfig,
  type GenAISpanKind,
  GenAITelemetry,
  genAISpanName,
  isCancellation,
  safely,
  safelyAsync,
} from '../src/index.js';
import { type Harness, harness, tokenSums } from './_helpers.js';

describe('GenAITelemetry', () => {
  let t: ReturnType<typeof createTestTelemetry>;
  let config: GenAIInstrumentationConfig;
  let telemetry: GenAITelemetry;

  beforeEach(() => {
    t = createTestTelemetry();
    config = {};
    telemetry = new GenAITelemetry(
      () => t.tracerProvider.getTracer('test'),
      () => t.meterProvider.getMeter('test'),
      () => config,
      'test',
    );
  });
  afterEach(() => t.shutdown());

  it('names and kinds LLM spans per the conventions and records usage and metrics', async () => {
    const s = telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
    s.setRequest({ temperature: 0.2, maxTokens: 100 }).setResponse({
      id: 'msg_1',
      model: 'claude-x-1',
      finishReasons: ['stop'],
    });
    s.setUsage({ inputTokens: 12, outputTokens: 5 });
    s.end();
    const [span] = t.spans();
    expect(span.name).toBe('chat claude-x');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-x',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'genai_otel.framework': 'test',
      'genai_otel.span.kind': 'LLM',
    });
    const metrics = await t.metricsByName();
    const tokens = metrics.get('gen_ai.client.token.usage');
    expect(tokens.descriptor.unit).toBe('{token}');
    const byType = Object.fromEntries(
      tokens.dataPoints.map((d: any) => [d.attributes['gen_ai.token.type'], d.value.sum]),
    );
    expect(byType).toEqual({ input: 12, output: 5 });
    const duration = metrics.get('gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPoints[0].value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
  });

  it('counts a call once when a provider span nests under a framework LLM span', async () => {
    const outer = telemetry.startSpan({ kind: 'LLM', name: 'm' });
    outer.with(() => {
      const inner = telemetry.startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' });
      inner.setUsage({ inputTokens: 10, outputTokens: 3 });
      inner.end();
    });
    outer.setUsage({ inputTokens: 10, outputTokens: 3 });
    outer.end();
    const spans = t.spans();
    const sum = spans.reduce(
      (n: number, s: any) => n + (s.attributes['gen_ai.usage.input_tokens'] ?? 0),
      0,
    );
    expect(sum).toBe(10);
    expect(spans[1].attributes['genai_otel.usage.recorded_by_child']).toBe(true);
    const tokens = (await t.metricsByName()).get('gen_ai.client.token.usage');
    const input = tokens.dataPoints.find((d: any) => d.attributes['gen_ai.token.type'] === 'input');
    expect(input.value.count).toBe(1);
    expect(input.value.sum).toBe(10);
  });

  it('records errors with status, error.type and an exception event', () => {
    const s = telemetry.startSpan({ kind: 'TOOL', name: 'search' });
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    s.recordError(new RateLimitError('slow down'));
    s.end();
    const [span] = t.spans();
    expect(span.name).toBe('execute_tool search');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('RateLimitError');
    expect(span.events[0].name).toBe('exception');
  });

  it('captures content only when enabled, evaluated per call', () => {
    const messages = [
      { role: 'user', parts: [{ type: 'text' as const, content: 'secret prompt' }] },
    ];
    telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(messages).end();
    config.captureContent = true;
    telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(messages).end();
    const [off, on] = t.spans();
    expect(off.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(JSON.parse(on.attributes['gen_ai.input.messages'])).toEqual(messages);
  });
});

describe('explicit end times', () => {
  it('an end time before the span started (a whole-millisecond clock) ends at the start, without an SDK warning', () => {
    const h = harness();
    const warnings: unknown[][] = [];
    const logger = { warn: (...a: unknown[]) => warnings.push(a) } as unknown as DiagLogger;
    diag.setLogger(
      { ...logger, error() {}, info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    try {
      const s = h.telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
      const [sdkSpan] = [s.span as any];
      const startMs = sdkSpan.startTime[0] * 1e3 + sdkSpan.startTime[1] / 1e6;
      s.end(startMs - 5);
      const [span] = h.t.spans();
      expect(span.endTime).toEqual(span.startTime);
      expect(span.duration).toEqual([0, 0]);
      expect(warnings.filter((w) => String(w[0]).includes('Inconsistent'))).toEqual([]);
    } finally {
      diag.disable();
      void h.t.shutdown();
    }
  });

  it('an end time after the start is kept as given', () => {
    const h = harness();
    const s = h.telemetry.startSpan({ kind: 'CHAIN', name: 'RunnableSequence' });
    const sdkSpan = s.span as any;
    const startMs = sdkSpan.startTime[0] * 1e3 + sdkSpan.startTime[1] / 1e6;
    s.end(new Date(Math.ceil(startMs) + 40));
    const [span] = h.t.spans();
    expect(span.endTime[0] * 1e3 + span.endTime[1] / 1e6).toBe(Math.ceil(startMs) + 40);
    void h.t.shutdown();
  });
});

describe('cancellation', () => {
  it("isCancellation: aborted signals and the SDKs' abort errors, by name or class; nothing else", () => {
    class APIUserAbortError extends Error {}
    class ModelAbortError extends Error {
      override name = 'ModelAbortError';
    }
    const aborted = new AbortController();
    aborted.abort();
    expect(isCancellation(aborted.signal.reason)).toBe(true); // DOMException AbortError
    expect(isCancellation(new APIUserAbortError('x'))).toBe(true);
    expect(isCancellation(new ModelAbortError('x'))).toBe(true);
    expect(isCancellation(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(true);
    expect(isCancellation(new Error('Aborted'))).toBe(false);
    expect(isCancellation(new TypeError('x'))).toBe(false);
    expect(isCancellation('AbortError')).toBe(false);
    expect(isCancellation(undefined)).toBe(false);
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no');
        },
      },
    );
    expect(isCancellation(hostile)).toBe(false);
  });

  it('recordThrown: a cancellation is marked cancelled, anything else is an error', () => {
    const h = harness();
    const aborted = h.telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
    aborted.recordThrown(Object.assign(new Error('stop'), { name: 'AbortError' })).end();
    const failed = h.telemetry.startSpan({ kind: 'TOOL', name: 'search' });
    failed.recordThrown(new RangeError('bad'), 'bad_range').end();
    const [a, f] = h.t.spans();
    expect(a.attributes['genai_otel.cancelled']).toBe(true);
    expect(a.status.code).toBe(SpanStatusCode.UNSET);
    expect(a.events).toHaveLength(0);
    expect(f.attributes['genai_otel.cancelled']).toBeUndefined();
    expect(f.status.code).toBe(SpanStatusCode.ERROR);
    expect(f.attributes['error.type']).toBe('bad_range');
    void h.t.shutdown();
  });

  it('span.cancel(): genai_otel.cancelled, no error status, still measured', async () => {
    const h = harness();
    const s = h.telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
    s.cancel();
    s.cancel(); // once
    const [span] = h.t.spans();
    expect(span.attributes['genai_otel.cancelled']).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
    const duration = (await h.t.metricsByName()).get('gen_ai.client.operation.duration');
    expect(duration.dataPoints[0].attributes['error.type']).toBeUndefined();
    await h.t.shutdown();
  });
});

describe('span naming and kinds', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.t.shutdown());

  const cases: [
    GenAISpanKind,
    Record<string, unknown>,
    string,
    SpanKind,
    Record<string, unknown>,
  ][] = [
    ['LLM', { name: 'gpt' }, 'chat gpt', SpanKind.CLIENT, { 'gen_ai.request.model': 'gpt' }],
    [
      'LLM',
      { name: 'gpt', operation: 'text_completion' },
      'text_completion gpt',
      SpanKind.CLIENT,
      { 'gen_ai.operation.name': 'text_completion' },
    ],
    [
      'EMBEDDING',
      { name: 'embed-1' },
      'embeddings embed-1',
      SpanKind.CLIENT,
      { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'embed-1' },
    ],
    [
      'RETRIEVER',
      { name: 'kb' },
      'retrieval kb',
      SpanKind.CLIENT,
      { 'gen_ai.operation.name': 'retrieval' },
    ],
    ['RERANKER', { name: 'cohere-rerank' }, 'cohere-rerank', SpanKind.INTERNAL, {}],
    [
      'TOOL',
      { name: 'calc' },
      'execute_tool calc',
      SpanKind.INTERNAL,
      { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calc' },
    ],
    [
      'AGENT',
      { name: 'helper' },
      'invoke_agent helper',
      SpanKind.INTERNAL,
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' },
    ],
    ['AGENT', {}, 'invoke_agent', SpanKind.INTERNAL, {}],
    ['CHAIN', { name: 'RunnableSequence' }, 'RunnableSequence', SpanKind.INTERNAL, {}],
    ['LLM', {}, 'chat', SpanKind.CLIENT, {}],
    [
      'CHAIN',
      { name: 'graph', operation: 'invoke_workflow' },
      'invoke_workflow graph',
      SpanKind.INTERNAL,
      { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'graph' },
    ],
    [
      'LLM',
      { name: 'local', spanKind: SpanKind.INTERNAL, spanName: 'custom' },
      'custom',
      SpanKind.INTERNAL,
      {},
    ],
  ];
  for (const [kind, opts, name, spanKind, attrs] of cases) {
    it(`${kind} ${JSON.stringify(opts)} -> "${name}"`, () => {
      h.telemetry.startSpan({ kind, ...opts }).end();
      const [span] = h.t.spans();
      expect(span.name).toBe(name);
      expect(span.kind).toBe(spanKind);
      expect(span.attributes['genai_otel.span.kind']).toBe(kind);
      expect(span.attributes).toMatchObject(attrs);
      if ((kind === 'CHAIN' && !opts.operation) || kind === 'RERANKER')
        expect(span.attributes['gen_ai.operation.name']).toBeUndefined();
    });
  }

  it('genAISpanName follows the same rules', () => {
    expect(genAISpanName('LLM', 'chat', 'm')).toBe('chat m');
    expect(genAISpanName('CHAIN', undefined, 'c')).toBe('c');
    expect(genAISpanName('CHAIN', undefined)).toBe('chain');
  });

  it('sets the request attributes the conventions define', () => {
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' })
      .setRequest({
        model: 'm-2',
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        maxTokens: 256,
        stopSequences: ['\n\n', 'END'],
        frequencyPenalty: 0.1,
        presencePenalty: 0.2,
        seed: 7,
        choiceCount: 1,
        stream: true,
        serverAddress: 'api.example.com',
        serverPort: 443,
        outputType: 'text',
      })
      .setConversationId('conv-1')
      .end();
    const a = h.t.spans()[0].attributes;
    expect(a).toMatchObject({
      'gen_ai.request.model': 'm-2',
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.stop_sequences': ['\n\n', 'END'],
      'gen_ai.request.frequency_penalty': 0.1,
      'gen_ai.request.presence_penalty': 0.2,
      'gen_ai.request.seed': 7,
      'gen_ai.request.stream': true,
      'server.address': 'api.example.com',
      'server.port': 443,
      'gen_ai.output.type': 'text',
      'gen_ai.conversation.id': 'conv-1',
    });
    expect(a['gen_ai.request.choice.count']).toBeUndefined(); // only when != 1
  });

  /** A sampler that keeps everything and records what it was shown at span start. */
  function recordingSampler() {
    const seen: { name: string; attributes: any }[] = [];
    const sampler = {
      shouldSample: (_c: unknown, _t: string, name: string, _k: unknown, attributes: any) => {
        seen.push({ name, attributes: { ...attributes } });
        return { decision: 2 }; // RECORD_AND_SAMPLED
      },
      toString: () => 'recording sampler',
    };
    return { seen, sampler };
  }

  it('start-time attributes are visible to samplers', async () => {
    const { seen, sampler } = recordingSampler();
    const hs = harness({}, { sampler });
    hs.telemetry
      .startSpan({
        kind: 'LLM',
        name: 'claude-x',
        provider: 'anthropic',
        request: { serverAddress: 'api.anthropic.com', serverPort: 443, maxTokens: 10 },
      })
      .end();
    expect(seen[0].name).toBe('chat claude-x');
    expect(seen[0].attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-x',
      'server.address': 'api.anthropic.com',
      'server.port': 443,
      'gen_ai.request.max_tokens': 10,
    });
    await hs.t.shutdown();
  });

  it('details and our bookkeeping are recorded after start: samplers do not see them', async () => {
    const { seen, sampler } = recordingSampler();
    const hs = harness({}, { sampler });
    hs.telemetry
      .startSpan({
        kind: 'TOOL',
        name: 'search',
        attributes: { 'app.step': 'plan', 'app.shared': 'from attributes' },
        details: { 'app.run_id': 'r-1', 'app.shared': 'from details' },
      })
      .end();
    expect(seen[0].attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'app.step': 'plan',
      'app.shared': 'from attributes',
    });
    const [span] = hs.t.spans();
    expect(span.attributes).toMatchObject({
      'genai_otel.span.kind': 'TOOL',
      'genai_otel.framework': 'test',
      'app.run_id': 'r-1',
      'app.shared': 'from attributes', // a start attribute wins over a detail
    });
    await hs.t.shutdown();
  });

  it('agent, embeddings and reranker helpers', () => {
    h.telemetry
      .startSpan({ kind: 'AGENT', name: 'a' })
      .setAgent({ id: 'ag_1', description: 'helps', version: '2' })
      .end();
    h.telemetry
      .startSpan({ kind: 'EMBEDDING', name: 'e' })
      .setEmbeddings({ inputs: ['a', 'b', 'c'], dimensionCount: 1536, encodingFormats: ['float'] })
      .end();
    h.telemetry
      .startSpan({ kind: 'RERANKER', name: 'r' })
      .setReranker({
        model: 'rerank-v3',
        topK: 2,
        query: 'q',
        inputDocuments: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
        outputDocuments: [
          { id: 'c', score: 0.9 },
          { id: 'a', score: 0.5 },
        ],
      })
      .end();
    const [agent, emb, rr] = h.t.spans();
    expect(agent.attributes).toMatchObject({
      'gen_ai.agent.id': 'ag_1',
      'gen_ai.agent.name': 'a',
      'gen_ai.agent.description': 'helps',
      'gen_ai.agent.version': '2',
    });
    expect(emb.attributes).toMatchObject({
      'genai_otel.embeddings.batch_size': 3,
      'gen_ai.embeddings.dimension.count': 1536,
      'gen_ai.request.encoding_formats': ['float'],
    });
    expect(emb.attributes['genai_otel.input']).toBeUndefined(); // content off
    expect(rr.attributes).toMatchObject({
      'gen_ai.request.model': 'rerank-v3',
      'genai_otel.reranker.top_k': 2,
      'genai_otel.reranker.input_document_count': 3,
      'genai_otel.reranker.output_document_count': 2,
    });
    expect(JSON.parse(rr.attributes['gen_ai.retrieval.documents'])).toEqual([
      { id: 'c', score: 0.9 },
      { id: 'a', score: 0.5 },
    ]);
  });

  it('parents child spans started inside with() and inside the span context', () => {
    const parent = h.telemetry.startSpan({ kind: 'CHAIN', name: 'p' });
    parent.with(() => h.telemetry.startSpan({ kind: 'TOOL', name: 'a' }).end());
    h.telemetry.startSpan({ kind: 'TOOL', name: 'b', parentContext: parent.context }).end();
    parent.end();
    const [a, b, p] = h.t.spans();
    expect(parentId(a)).toBe(p.spanContext().spanId);
    expect(parentId(b)).toBe(p.spanContext().spanId);
    expect(a.spanContext().traceId).toBe(p.spanContext().traceId);
  });

  it('records time to first chunk once, and ends exactly once', () => {
    const s = h.telemetry.startSpan({ kind: 'LLM', name: 'm', startTime: 10_000 });
    s.markFirstChunk(10_250).markFirstChunk(10_900);
    s.end(11_000);
    s.end(12_000);
    s.setAttribute('late', 'x').setUsage({ inputTokens: 1 }).recordError(new Error('late'));
    const spans = h.t.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['gen_ai.response.time_to_first_chunk']).toBe(0.25);
    expect(spans[0].attributes.late).toBeUndefined();
    expect(spans[0].status.code).not.toBe(SpanStatusCode.ERROR);
    expect(s.isEnded).toBe(true);
  });
});

describe('error recording is identical for every kind', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.t.shutdown());

  for (const kind of [
    'LLM',
    'EMBEDDING',
    'RETRIEVER',
    'RERANKER',
    'TOOL',
    'AGENT',
    'CHAIN',
  ] as const) {
    it(kind, () => {
      const err = new TypeError('bad input');
      h.telemetry.startSpan({ kind, name: 'x' }).recordError(err).end();
      const [span] = h.t.spans();
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
      expect(span.attributes['error.type']).toBe('TypeError');
      const ev = span.events.find((e: any) => e.name === 'exception');
      expect(ev.attributes['exception.type']).toBe('TypeError');
      expect(ev.attributes['exception.message']).toBe('bad input');
      expect(ev.attributes['exception.stacktrace']).toContain('TypeError: bad input');
    });
  }

  it('uses the API error type when present, the class for exception.type', () => {
    class APIError extends Error {
      override name = 'RateLimitError';
      error = { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } };
    }
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).recordError(new APIError('429')).end();
    const [span] = h.t.spans();
    expect(span.attributes['error.type']).toBe('rate_limit_error');
    expect(span.events[0].attributes['exception.type']).toBe('RateLimitError');
  });

  it('classifies odd thrown values and accepts an explicit type', () => {
    expect(classifyError('a string')).toBe('_OTHER');
    expect(classifyError(null)).toBe('_OTHER');
    expect(classifyError(new Error('plain'))).toBe('Error');
    expect(classifyError({ error: { type: 'overloaded_error' } })).toBe('overloaded_error');
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(classifyError(hostile)).toBe('_OTHER');
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).recordError(hostile).end();
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).recordError('boom', 'timeout').end();
    const [a, b] = h.t.spans();
    expect(a.status.code).toBe(SpanStatusCode.ERROR);
    expect(a.attributes['error.type']).toBe('_OTHER');
    expect(b.attributes['error.type']).toBe('timeout');
    expect(b.status.message).toBe('boom');
  });

  it('puts error.type on the duration metric only', async () => {
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'm' })
      .setUsage({ inputTokens: 3 })
      .recordError(new TypeError('x'))
      .end();
    const m = await h.t.metricsByName();
    expect(m.get('gen_ai.client.operation.duration').dataPoints[0].attributes['error.type']).toBe(
      'TypeError',
    );
    expect(
      m.get('gen_ai.client.token.usage').dataPoints[0].attributes['error.type'],
    ).toBeUndefined();
  });
});

describe('the guard: our failures never reach the user', () => {
  // Armed only while our code runs (the API itself logs while (un)registering loggers).
  let armed = false;
  const boom = (level: string) => () => {
    if (armed) throw new Error(`logger ${level}`);
  };
  const throwingLogger: DiagLogger = {
    error: boom('error'),
    warn: boom('warn'),
    info: boom('info'),
    debug: boom('debug'),
    verbose: boom('verbose'),
  };
  const logged: string[] = [];
  const recordingLogger: DiagLogger = {
    error: (m: string) => void logged.push(m),
    warn: () => {},
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  afterEach(() => {
    armed = false;
    diag.disable();
    logged.length = 0;
  });

  function exercise(telemetry: GenAITelemetry): void {
    for (const kind of ['LLM', 'EMBEDDING', 'TOOL', 'RETRIEVER', 'CHAIN'] as const) {
      const s = telemetry.startSpan({ kind, name: 'x', provider: 'anthropic' });
      s.with(() => undefined);
      s.setRequest({ model: 'm', temperature: 1 })
        .setResponse({ id: 'r', model: 'm', finishReasons: ['stop'] })
        .setUsage({ inputTokens: 1, outputTokens: 2 })
        .markFirstChunk()
        .setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }])
        .setOutputMessages([{ role: 'assistant', parts: [], finish_reason: 'stop' }])
        .setTool({ name: 't', arguments: {}, result: 1 })
        .setRetrieval({ query: 'q', documents: [{ id: '1' }] })
        .setInput('i')
        .setOutput('o')
        .recordError(new Error('user error'));
      s.end();
    }
  }

  it('a throwing tracer: every method still works and nothing throws', () => {
    diag.setLogger(recordingLogger, DiagLogLevel.ERROR);
    const t = createTestTelemetry();
    const tracer = {
      startSpan() {
        throw new Error('tracer broken');
      },
      startActiveSpan() {
        throw new Error('tracer broken');
      },
    } as unknown as Tracer;
    const telemetry = new GenAITelemetry(
      () => tracer,
      () => t.meterProvider.getMeter('x'),
      () => ({ captureContent: 'SPAN_AND_EVENT', semconv: ['gen_ai', 'openinference'] }),
      'test',
    );
    expect(() => exercise(telemetry)).not.toThrow();
    expect(logged.some((m) => m.includes('startSpan failed'))).toBe(true);
    return t.shutdown();
  });

  it('a throwing getTracer, a throwing meter and a throwing config getter', () => {
    const telemetry = new GenAITelemetry(
      () => {
        throw new Error('no tracer');
      },
      () => {
        throw new Error('no meter');
      },
      () => {
        throw new Error('no config');
      },
      'test',
    );
    expect(() => exercise(telemetry)).not.toThrow();
  });

  it('a meter whose instruments throw: spans are still recorded', () => {
    const t = createTestTelemetry();
    const histogram = {
      record() {
        throw new Error('record broken');
      },
    };
    const meter = { createHistogram: () => histogram } as unknown as Meter;
    const telemetry = new GenAITelemetry(
      () => t.tracerProvider.getTracer('x'),
      () => meter,
      () => ({}),
      'test',
    );
    expect(() => exercise(telemetry)).not.toThrow();
    expect(t.spans()).toHaveLength(5);
    const llm = t.spans()[0];
    expect(llm.attributes['gen_ai.usage.input_tokens']).toBe(1);
    return t.shutdown();
  });

  it('a throwing diag logger on top of broken providers', () => {
    diag.setLogger(throwingLogger, DiagLogLevel.ALL);
    armed = true;
    const telemetry = new GenAITelemetry(
      () => {
        throw new Error('no tracer');
      },
      () => {
        throw new Error('no meter');
      },
      () => ({}),
      'test',
    );
    expect(() => exercise(telemetry)).not.toThrow();
    expect(
      safely(
        'x',
        () => {
          throw new Error('inner');
        },
        42,
      ),
    ).toBe(42);
  });

  it('hostile start options (a Proxy that throws on every trap)', () => {
    const t = createTestTelemetry();
    const telemetry = new GenAITelemetry(
      () => t.tracerProvider.getTracer('x'),
      () => t.meterProvider.getMeter('x'),
      () => ({}),
      'test',
    );
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
        getOwnPropertyDescriptor() {
          throw new Error('trap');
        },
      },
    ) as any;
    expect(() => {
      const s = telemetry.startSpan(hostile);
      s.setRequest(hostile).setResponse(hostile).setTool(hostile).setRetrieval(hostile);
      s.setUsage(hostile).setAgent(hostile).setEmbeddings(hostile).setReranker(hostile);
      s.setAttributes(hostile).end();
    }).not.toThrow();
    return t.shutdown();
  });

  it('the user context is untouched after our calls', () => {
    const h = harness();
    const before = context.active();
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).end();
    expect(context.active()).toBe(before);
    return h.t.shutdown();
  });

  it('safelyAsync never rejects; logSwallowed is rate-limited per label', async () => {
    diag.setLogger(recordingLogger, DiagLogLevel.ERROR);
    await expect(
      safelyAsync(
        'async',
        async () => {
          throw new Error('x');
        },
        'fallback',
      ),
    ).resolves.toBe('fallback');
    await expect(safelyAsync('async ok', () => Promise.resolve(5))).resolves.toBe(5);
    logged.length = 0;
    for (let i = 0; i < 500; i++)
      safely('hot path', () => {
        throw new Error('again');
      });
    expect(logged.length).toBeLessThanOrEqual(10);
    expect(logged.length).toBeGreaterThan(0);
  });
});

describe('token metrics stay consistent with span attributes', () => {
  it('sums', async () => {
    const h = harness();
    for (let i = 1; i <= 3; i++)
      h.telemetry
        .startSpan({ kind: 'LLM', name: 'm', provider: 'anthropic' })
        .setUsage({ inputTokens: i * 10, outputTokens: i })
        .end();
    const sums = tokenSums((await h.t.metricsByName()).get('gen_ai.client.token.usage'));
    expect(sums).toEqual({ input: { sum: 60, count: 3 }, output: { sum: 6, count: 3 } });
    await h.t.shutdown();
  });
});
