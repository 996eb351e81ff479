import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ContentPolicy,
  DEFAULT_MAX_CONTENT_LENGTH,
  ENV_CAPTURE_CONTENT,
  ENV_MAX_CONTENT_LENGTH,
  type InputMessage,
  type OutputMessage,
  parseCaptureMode,
  resolveCaptureMode,
  resolveMaxContentLength,
  TRUNCATION_MARKER,
} from '../src/index.js';
import { type Harness, harness, withEnv } from './_helpers.js';

const SECRET = 'sk-ant-SECRET-1234567890';
const input: InputMessage[] = [
  { role: 'user', parts: [{ type: 'text', content: `my key is ${SECRET}` }] },
];
const output: OutputMessage[] = [
  {
    role: 'assistant',
    parts: [
      { type: 'reasoning', content: 'thinking about it' },
      { type: 'text', content: 'Got it' },
      { type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { key: SECRET } },
    ],
    finish_reason: 'tool_call',
  },
];

function llmCall(h: Harness): void {
  const s = h.telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
  s.setSystemInstructions('Be brief.');
  s.setInputMessages(input);
  s.setOutputMessages(output);
  s.end();
}

const CONTENT_ATTRS = [
  'gen_ai.system_instructions',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
];

describe('capture switch parsing', () => {
  it('accepts booleans, boolean strings and the Python enum, case-insensitively', () => {
    expect(parseCaptureMode(true)).toBe('SPAN_ONLY');
    expect(parseCaptureMode(false)).toBe('NO_CONTENT');
    expect(parseCaptureMode('true')).toBe('SPAN_ONLY');
    expect(parseCaptureMode('TRUE')).toBe('SPAN_ONLY');
    expect(parseCaptureMode(' false ')).toBe('NO_CONTENT');
    expect(parseCaptureMode('NO_CONTENT')).toBe('NO_CONTENT');
    expect(parseCaptureMode('SPAN_ONLY')).toBe('SPAN_ONLY');
    expect(parseCaptureMode('event_only')).toBe('EVENT_ONLY');
    expect(parseCaptureMode('SPAN_AND_EVENT')).toBe('SPAN_AND_EVENT');
    expect(parseCaptureMode('maybe')).toBeUndefined();
    expect(parseCaptureMode('')).toBeUndefined();
    expect(parseCaptureMode(1)).toBeUndefined();
  });

  it('is off by default; config wins over env; env works in both forms', () => {
    withEnv({ [ENV_CAPTURE_CONTENT]: undefined }, () => {
      expect(resolveCaptureMode({})).toBe('NO_CONTENT');
      expect(resolveCaptureMode({ captureContent: true })).toBe('SPAN_ONLY');
    });
    withEnv({ [ENV_CAPTURE_CONTENT]: 'true' }, () => {
      expect(resolveCaptureMode({})).toBe('SPAN_ONLY');
      expect(resolveCaptureMode({ captureContent: false })).toBe('NO_CONTENT');
    });
    withEnv({ [ENV_CAPTURE_CONTENT]: 'EVENT_ONLY' }, () => {
      expect(resolveCaptureMode({})).toBe('EVENT_ONLY');
      expect(resolveCaptureMode({ captureContent: 'SPAN_AND_EVENT' })).toBe('SPAN_AND_EVENT');
    });
    withEnv({ [ENV_CAPTURE_CONTENT]: 'garbage' }, () => {
      expect(resolveCaptureMode({})).toBe('NO_CONTENT');
    });
  });
});

describe('content policy on spans', () => {
  let h: Harness | any;
  afterEach(async () => {
    await h?.t.shutdown();
    h = undefined;
  });

  it('records no content by default, but keeps non-content attributes', () => {
    h = harness();
    withEnv({ [ENV_CAPTURE_CONTENT]: undefined }, () => {
      llmCall(h);
      const tool = h.telemetry.startSpan({ kind: 'TOOL', name: 'lookup' });
      tool.setTool({ callId: 'call_1', arguments: { q: SECRET }, result: SECRET }).end();
      const r = h.telemetry.startSpan({ kind: 'RETRIEVER', name: 'docs' });
      r.setRetrieval({
        query: SECRET,
        documents: [{ id: 'd1', score: 0.5, content: SECRET }],
      }).end();
    });
    const [llm, tool, retriever] = h.t.spans();
    for (const a of CONTENT_ATTRS) expect(llm.attributes[a]).toBeUndefined();
    expect(llm.events).toHaveLength(0);
    expect(tool.attributes['gen_ai.tool.name']).toBe('lookup');
    expect(tool.attributes['gen_ai.tool.call.id']).toBe('call_1');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(tool.attributes['gen_ai.tool.call.result']).toBeUndefined();
    expect(retriever.attributes['gen_ai.retrieval.query.text']).toBeUndefined();
    expect(JSON.parse(retriever.attributes['gen_ai.retrieval.documents'])).toEqual([
      { id: 'd1', score: 0.5 },
    ]);
    expect(retriever.attributes['genai_otel.retrieval.document_count']).toBe(1);
    for (const s of h.t.spans()) expect(JSON.stringify(s.attributes)).not.toContain(SECRET);
  });

  it('SPAN_ONLY writes the conventions message schema as JSON', () => {
    h = harness({ captureContent: true });
    llmCall(h);
    const [span] = h.t.spans();
    expect(JSON.parse(span.attributes['gen_ai.system_instructions'])).toEqual([
      { type: 'text', content: 'Be brief.' },
    ]);
    expect(JSON.parse(span.attributes['gen_ai.input.messages'])).toEqual(input);
    const out = JSON.parse(span.attributes['gen_ai.output.messages']);
    expect(out[0].finish_reason).toBe('tool_call');
    expect(out[0].parts.map((p: any) => p.type)).toEqual(['reasoning', 'text', 'tool_call']);
    expect(span.events).toHaveLength(0);
  });

  it('EVENT_ONLY puts content on the inference details event only', () => {
    h = harness({ captureContent: 'EVENT_ONLY' });
    llmCall(h);
    const [span] = h.t.spans();
    for (const a of CONTENT_ATTRS) expect(span.attributes[a]).toBeUndefined();
    const event = span.events.find(
      (e: any) => e.name === 'gen_ai.client.inference.operation.details',
    );
    expect(event).toBeDefined();
    expect(JSON.parse(event.attributes['gen_ai.input.messages'])).toEqual(input);
    expect(JSON.parse(event.attributes['gen_ai.system_instructions'])[0].content).toBe('Be brief.');
    expect(event.attributes['gen_ai.operation.name']).toBe('chat');
    expect(event.attributes['gen_ai.request.model']).toBe('claude-x');
  });

  it('SPAN_AND_EVENT writes both', () => {
    h = harness({ captureContent: 'SPAN_AND_EVENT' });
    llmCall(h);
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.input.messages']).toBeDefined();
    expect(span.events.map((e: any) => e.name)).toContain(
      'gen_ai.client.inference.operation.details',
    );
  });

  it('is evaluated per call: config and env changes apply to the next span', () => {
    h = harness();
    withEnv({ [ENV_CAPTURE_CONTENT]: undefined }, () => {
      llmCall(h); // off
      h.config.captureContent = true;
      llmCall(h); // on via config
      h.config.captureContent = undefined;
      process.env[ENV_CAPTURE_CONTENT] = 'SPAN_ONLY';
      llmCall(h); // on via env
      process.env[ENV_CAPTURE_CONTENT] = 'false';
      llmCall(h); // off again
    });
    const on = h.t.spans().map((s: any) => s.attributes['gen_ai.input.messages'] !== undefined);
    expect(on).toEqual([false, true, true, false]);
  });

  it('spans started `within` a call share its policy; the next call sees env and config changes', () => {
    h = harness();
    withEnv({ [ENV_CAPTURE_CONTENT]: undefined, GENAI_OTEL_SEMCONV: undefined }, () => {
      const call = h.telemetry.startSpan({ kind: 'CHAIN', name: 'RunnableSequence' });
      process.env[ENV_CAPTURE_CONTENT] = 'SPAN_ONLY'; // turned on while the call runs
      process.env.GENAI_OTEL_SEMCONV = 'gen_ai,openinference';
      const inner = h.telemetry.startSpan({ kind: 'LLM', name: 'm', within: call });
      expect(inner.policy).toBe(call.policy);
      inner.setInputMessages(input).end();
      call.end();
      // The next call resolves afresh: env on.
      const next = h.telemetry.startSpan({ kind: 'CHAIN', name: 'RunnableSequence' });
      const nextInner = h.telemetry.startSpan({ kind: 'LLM', name: 'm', within: next });
      nextInner.setInputMessages(input).end();
      next.end();
      // A replaced config object (what setConfig does) is not the one the call resolved from.
      const third = h.telemetry.startSpan({ kind: 'CHAIN', name: 'RunnableSequence' });
      h.config = { captureContent: false };
      const thirdInner = h.telemetry.startSpan({ kind: 'LLM', name: 'm', within: third });
      expect(thirdInner.policy).not.toBe(third.policy);
      thirdInner.setInputMessages(input).end();
      third.end();
    });
    const llm = h.t.spans().filter((s: any) => s.name === 'chat m');
    expect(llm.map((s: any) => s.attributes['gen_ai.input.messages'] !== undefined)).toEqual([
      false,
      true,
      false,
    ]);
    // The vocabularies follow the same rule (OpenInference adds `openinference.span.kind`).
    expect(llm.map((s: any) => s.attributes['openinference.span.kind'] !== undefined)).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('a span keeps the policy it started with', () => {
    h = harness();
    const s = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
    h.config.captureContent = true; // turned on mid-call
    s.setInputMessages(input).end();
    expect(h.t.spans()[0].attributes['gen_ai.input.messages']).toBeUndefined();
  });

  it('tool definitions are opt-in content; tool type and description are not', () => {
    h = harness();
    const defs = [{ type: 'function', name: 'weather', parameters: { type: 'object' } }];
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setToolDefinitions(defs).end();
    h.config.captureContent = true;
    h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setToolDefinitions(defs).end();
    h.telemetry
      .startSpan({ kind: 'TOOL', name: 'weather' })
      .setTool({ type: 'function', description: 'Weather lookup' })
      .end();
    const [off, on, tool] = h.t.spans();
    expect(off.attributes['gen_ai.tool.definitions']).toBeUndefined();
    expect(JSON.parse(on.attributes['gen_ai.tool.definitions'])).toEqual(defs);
    expect(tool.attributes['gen_ai.tool.type']).toBe('function');
    expect(tool.attributes['gen_ai.tool.description']).toBe('Weather lookup');
  });

  it('lists at most 100 documents but counts them all', () => {
    h = harness();
    const documents = Array.from({ length: 250 }, (_, i) => ({ id: `d${i}`, score: i }));
    h.telemetry.startSpan({ kind: 'RETRIEVER', name: 'kb' }).setRetrieval({ documents }).end();
    const a = h.t.spans()[0].attributes;
    expect(a['genai_otel.retrieval.document_count']).toBe(250);
    expect(JSON.parse(a['gen_ai.retrieval.documents'])).toHaveLength(100);
  });

  it('captures tool arguments/results and retrieval query/documents when on', () => {
    h = harness({ captureContent: true });
    h.telemetry
      .startSpan({ kind: 'TOOL', name: 'lookup' })
      .setTool({ arguments: { q: 'x' }, result: 'found' })
      .end();
    h.telemetry
      .startSpan({ kind: 'RETRIEVER', name: 'docs' })
      .setRetrieval({ query: 'what', documents: [{ id: 'd1', score: 1, content: 'text' }] })
      .end();
    const [tool, retriever] = h.t.spans();
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.arguments'])).toEqual({ q: 'x' });
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('found');
    expect(retriever.attributes['gen_ai.retrieval.query.text']).toBe('what');
    expect(JSON.parse(retriever.attributes['gen_ai.retrieval.documents'])).toEqual([
      { id: 'd1', score: 1, content: 'text' },
    ]);
  });
});

describe('redaction', () => {
  let h: Harness | any;
  afterEach(async () => {
    await h?.t.shutdown();
    h = undefined;
  });
  const redact = (value: string) => value.replaceAll(SECRET, '[REDACTED]');

  it('runs before span attributes, OpenInference attributes and the event are recorded', () => {
    const seen: string[] = [];
    h = harness({
      captureContent: 'SPAN_AND_EVENT',
      semconv: ['gen_ai', 'openinference'],
      redact: (value, { attribute }) => {
        seen.push(attribute);
        return redact(value);
      },
    });
    llmCall(h);
    h.telemetry
      .startSpan({ kind: 'TOOL', name: 'lookup' })
      .setTool({ arguments: { key: SECRET }, result: `result ${SECRET}` })
      .end();
    h.telemetry
      .startSpan({ kind: 'RETRIEVER', name: 'docs' })
      .setRetrieval({ query: SECRET, documents: [{ id: 'd', content: SECRET }] })
      .end();
    const dump = JSON.stringify(h.t.spans().map((s: any) => [s.attributes, s.events]));
    expect(dump).not.toContain(SECRET);
    expect(dump).toContain('[REDACTED]');
    const [llm] = h.t.spans();
    expect(llm.attributes['llm.input_messages.1.message.content']).toBe('my key is [REDACTED]');
    expect(seen).toContain('gen_ai.input.messages');
    expect(seen).toContain('llm.input_messages.1.message.content');
    expect(seen).toContain('tool_call.function.arguments');
  });

  it('drops the value when the hook returns undefined', () => {
    h = harness({
      captureContent: true,
      redact: (v, { attribute }) => (attribute === 'gen_ai.input.messages' ? undefined : v),
    });
    llmCall(h);
    const [span] = h.t.spans();
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeDefined();
  });

  it('fails closed when the hook throws, and the call is unaffected', () => {
    h = harness({
      captureContent: 'SPAN_AND_EVENT',
      semconv: ['gen_ai', 'openinference'],
      redact: () => {
        throw new Error('redactor bug');
      },
    });
    expect(() => llmCall(h)).not.toThrow();
    const [span] = h.t.spans();
    expect(JSON.stringify(span.attributes)).not.toContain(SECRET);
    expect(JSON.stringify(span.events)).not.toContain(SECRET);
    expect(span.attributes['gen_ai.request.model']).toBe('claude-x');
  });

  it('sees every character that can be recorded (redaction happens before truncation)', () => {
    const tail = `${'a'.repeat(90)}${SECRET}`;
    h = harness({ captureContent: true, maxContentLength: 100, redact });
    h.telemetry.startSpan({ kind: 'CHAIN', name: 'c' }).setInput(tail).end();
    const value = h.t.spans()[0].attributes['genai_otel.input'];
    expect(value).not.toContain('sk-ant');
    expect(value).toContain('[REDACTED]');
  });
});

describe('truncation', () => {
  let h: Harness | any;
  afterEach(async () => {
    await h?.t.shutdown();
    h = undefined;
  });

  it('defaults to 16384 characters, configurable by option and env', () => {
    withEnv({ [ENV_MAX_CONTENT_LENGTH]: undefined }, () => {
      expect(resolveMaxContentLength({})).toBe(DEFAULT_MAX_CONTENT_LENGTH);
      expect(DEFAULT_MAX_CONTENT_LENGTH).toBe(16_384);
      expect(resolveMaxContentLength({ maxContentLength: 100 })).toBe(100);
      expect(resolveMaxContentLength({ maxContentLength: -1 })).toBe(16_384);
    });
    withEnv({ [ENV_MAX_CONTENT_LENGTH]: '2048' }, () => {
      expect(resolveMaxContentLength({})).toBe(2048);
      expect(resolveMaxContentLength({ maxContentLength: 10 })).toBe(10);
    });
    withEnv({ [ENV_MAX_CONTENT_LENGTH]: 'lots' }, () => {
      expect(resolveMaxContentLength({})).toBe(16_384);
    });
  });

  it('cuts text with a visible marker', () => {
    h = harness({ captureContent: true, maxContentLength: 50 });
    h.telemetry.startSpan({ kind: 'CHAIN', name: 'c' }).setInput('x'.repeat(500)).end();
    const v = h.t.spans()[0].attributes['genai_otel.input'];
    expect(v).toHaveLength(50);
    expect(v.endsWith(TRUNCATION_MARKER)).toBe(true);
  });

  it('keeps message JSON valid when cut, and applies the default limit', () => {
    h = harness({ captureContent: true });
    withEnv({ [ENV_MAX_CONTENT_LENGTH]: undefined }, () => {
      const long: InputMessage[] = [
        { role: 'system', parts: [{ type: 'text', content: 'rules' }] },
        { role: 'user', parts: [{ type: 'text', content: 'q'.repeat(100_000) }] },
      ];
      h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(long).end();
    });
    const v = h.t.spans()[0].attributes['gen_ai.input.messages'];
    expect(v.length).toBeLessThanOrEqual(16_384);
    const parsed = JSON.parse(v);
    expect(parsed[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'rules' }] });
    expect(parsed[1].parts[0].content.endsWith(TRUNCATION_MARKER)).toBe(true);
  });

  it('ContentPolicy.render is bounded for any value and never throws', () => {
    const policy = new ContentPolicy({ captureContent: true, maxContentLength: 64 });
    const circular: any = { a: 1 };
    circular.self = circular;
    for (const v of [circular, 10n, Symbol('s'), 'y'.repeat(1000), [1, 2, 3], null]) {
      const out = policy.render('x', v);
      expect(typeof out).toBe('string');
      expect(out!.length).toBeLessThanOrEqual(64);
    }
    expect(new ContentPolicy({}).render('x', 'anything')).toBeUndefined();
  });
});

describe('document summaries without content (hand-built JSON)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.t.shutdown();
    h = undefined;
  });

  it('equal JSON.stringify of the {id, score} summaries for any documents (fast-check, fixed seed)', () => {
    h = harness({ captureContent: false });
    const doc = fc.record(
      {
        id: fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.double(), fc.constant(null)),
        score: fc.oneof(fc.double(), fc.constant('0.5'), fc.constant(undefined)),
        content: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(doc, fc.constant(null)), { maxLength: 8 }), (docs) => {
        h!.t.reset();
        h!.telemetry
          .startSpan({ kind: 'RETRIEVER', name: 'r' })
          .setRetrieval({ documents: docs as any })
          .end();
        const expected = (docs as any[]).map((d) => {
          const out: Record<string, unknown> = {};
          if (d && (typeof d.id === 'string' || typeof d.id === 'number'))
            out.id = String(d.id).slice(0, 256);
          if (d && typeof d.score === 'number' && Number.isFinite(d.score)) out.score = d.score;
          return out;
        });
        const attr = h!.t.spans()[0].attributes['gen_ai.retrieval.documents'];
        if (expected.every((e) => Object.keys(e).length === 0)) expect(attr).toBeUndefined();
        else expect(attr).toBe(JSON.stringify(expected));
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});
