/**
 * Property-based fuzzing (fast-check, fixed seed; override with FC_SEED / FC_RUNS): hostile
 * callback payloads, model outputs, Anthropic responses and SSE event sequences, LlamaIndex
 * documents and LLM replies. Properties, for every generated case:
 * - no exception escapes our code: the user's outcome (value or error) is exactly the one the
 *   framework produces without the instrumentation;
 * - every span that was started has ended;
 * - attribute values and counts stay bounded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  anthropicClient,
  boundViolations,
  createWorld,
  outcome,
  type RecordingDiag,
  recordDiag,
  type World,
  watchProcess,
} from './_harness.js';

const SEED = Number(process.env.FC_SEED ?? 20261124);
const RUNS = Number(process.env.FC_RUNS ?? 40);
fc.configureGlobal({ seed: SEED, numRuns: RUNS, endOnFailure: process.env.FC_SHRINK !== '1' });

const MAX_CONTENT = 2000;
/**
 * Content attributes are cut to maxContentLength; every other string must be bounded too (the
 * largest fixed bound is core's exception stack trace cap, 8192).
 */
const MAX_STRING = Math.max(MAX_CONTENT, 8192) + 64;

let w: World;
let log: RecordingDiag;
beforeAll(async () => {
  log = recordDiag();
  w = await createWorld({
    langchain: { captureContent: 'SPAN_AND_EVENT', maxContentLength: MAX_CONTENT },
    llamaindex: { captureContent: 'SPAN_AND_EVENT', maxContentLength: MAX_CONTENT },
    anthropic: { captureContent: 'SPAN_AND_EVENT', maxContentLength: MAX_CONTENT },
  });
});
afterAll(() => w.close());
beforeEach(() => {
  log.clear();
  w.t.reset();
  w.tracker.reset();
});

/**
 * Outcome equality that never runs a hostile value's traps (proxies are shown, not touched).
 * Anthropic SDK >= 1.17 names the request id in its error messages, and the fake server gives
 * every request a new one: the bare and the instrumented call are compared without it.
 */
function same(actual: unknown, expected: unknown): void {
  const show = (v: unknown) =>
    inspect(v, { showProxy: true, depth: 8, maxArrayLength: 50, maxStringLength: 500 }).replace(
      /request_id: req_[\w-]+/g,
      'request_id: <id>',
    );
  expect(show(actual)).toBe(show(expected));
}

function checkSpans(): void {
  expect(
    w.tracker.open(),
    `spans left open; diag errors: ${log.errors().slice(-3).join(' | ')}`,
  ).toEqual([]);
  log.clear();
  const bad = w.t.spans().flatMap((s: any) => boundViolations(s, MAX_STRING));
  expect(bad, 'unbounded attributes').toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const hostileProxy = () =>
  new Proxy(
    {},
    {
      get(_t, p) {
        if (p === fc.toStringMethod) return () => '<hostile proxy>';
        if (p === fc.asyncToStringMethod || p === 'then') return undefined;
        if (typeof p === 'symbol' || p === 'toJSON') return undefined;
        throw new Error('hostile getter');
      },
      ownKeys() {
        throw new Error('hostile keys');
      },
      getPrototypeOf() {
        throw new Error('hostile prototype');
      },
    },
  );

const huge = fc.constantFrom(
  'x'.repeat(200_000),
  '\u{1F600}'.repeat(50_000),
  '\uD800'.repeat(9_000),
);

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.anything({
      withBigInt: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
      withObjectString: true,
      maxDepth: 3,
    }),
  },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.constant(null).map(() => hostileProxy()) },
  {
    weight: 1,
    arbitrary: fc.constant(null).map(() => {
      const c: any = { a: 1 };
      c.self = c;
      return c;
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, Symbol('s'), 2n ** 70n),
  },
);

// ---------------------------------------------------------------------------------------------

describe('LangChain callback handler, called directly with random arguments', () => {
  const START = [
    'handleChainStart',
    'handleChatModelStart',
    'handleLLMStart',
    'handleToolStart',
    'handleRetrieverStart',
  ];
  const END = [
    'handleChainEnd',
    'handleChainError',
    'handleLLMEnd',
    'handleLLMError',
    'handleToolEnd',
    'handleToolError',
    'handleRetrieverEnd',
    'handleRetrieverError',
  ];
  const OTHER = [
    'handleLLMNewToken',
    'handleText',
    'handleAgentAction',
    'handleAgentEnd',
    'handleCustomEvent',
  ];
  // LangChain gives every run a fresh id: starts get unique ids, every other call refers to a
  // started run (by index) or passes a hostile value.
  const ref = fc.oneof({ weight: 8, arbitrary: fc.nat() }, { weight: 1, arbitrary: hostile });
  const call = fc.record({
    method: fc.constantFrom(...START, ...END, ...OTHER),
    ref,
    parent: fc.oneof(fc.constant(undefined), fc.nat(), hostile),
    args: fc.array(hostile, { maxLength: 9 }),
  });

  it('no exception escapes; once every run is ended, no span is open; bounded attributes', async () => {
    const h: any = w.lc.handler;
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 25 }), async (calls) => {
        w.t.reset();
        w.tracker.reset();
        const started: string[] = [];
        const pick = (r: unknown) =>
          typeof r === 'number' ? (started.length ? started[r % started.length] : 'none') : r;
        const { escaped } = await watchProcess(async () => {
          for (const [i, c] of calls.entries()) {
            const fn = h[c.method];
            if (typeof fn !== 'function') continue;
            const args = [...c.args];
            if (START.includes(c.method)) {
              const id = `run-${i}`;
              started.push(id);
              while (args.length < 2) args.push(undefined);
              args.splice(2, 0, id, pick(c.parent));
            } else if (END.includes(c.method)) {
              args.splice(1, 0, pick(c.ref));
              args.length = 2;
            } else args.splice(2, 0, pick(c.ref));
            await fn.apply(h, args);
          }
          // End everything that can be open (each run, with each end method).
          for (const id of started) {
            for (const m of END) await h[m](undefined, id);
          }
        });
        expect(escaped).toEqual([]);
        checkSpans();
      }),
    );
  });

  // A second start with a reused run id must end (abandon) the first run's span.
  it('a run id reused by a second start does not orphan the first span', () => {
    const h: any = w.lc.handler;
    h.handleRetrieverStart({}, 'q', 'dup-run', undefined);
    h.handleRetrieverStart({}, 'q', 'dup-run', undefined);
    h.handleRetrieverEnd([], 'dup-run');
    h.handleRetrieverEnd([], 'dup-run');
    expect(w.tracker.open()).toEqual([]);
  });
});

/** A real LangChain chat model class driven by a fuzzed script (`this.script`). */
function scriptedChatModel(llmType: string): any {
  const { BaseChatModel } = w.langchain.core.chatModels;
  return class extends BaseChatModel {
    script: any;
    constructor(script: any) {
      super({});
      this.script = script;
    }
    _llmType() {
      return llmType;
    }
  };
}

describe('LangChain chat model event protocol (streamEvents) with hostile events', () => {
  // A model that streams through LangChain 1.2+'s event protocol (`_streamChatModelEvents`,
  // what `model.streamEvents(input)` reads, without callbacks) a scripted event sequence:
  // well-formed events with hostile payloads, malformed events, and failures part-way.
  let EventModel: any;
  beforeAll(() => {
    EventModel = class extends scriptedChatModel('hostile-events') {
      async _generate() {
        throw new Error('not used');
      }
      async *_streamChatModelEvents() {
        const { events, failAt, failWith } = this.script;
        for (let i = 0; i < events.length; i++) {
          if (i === failAt) throw failWith;
          yield events[i];
        }
      }
    };
  });

  const event = fc.oneof(
    fc.record({ event: fc.constant('message-start'), id: fc.oneof(fc.string(), hostile) }),
    fc.record({
      event: fc.constant('content-block-start'),
      index: fc.oneof(fc.nat(3), hostile),
      content: fc.oneof(fc.record({ type: fc.constant('text'), text: fc.string() }), hostile),
    }),
    fc.record({
      event: fc.constant('content-block-delta'),
      index: fc.oneof(fc.nat(3), hostile),
      delta: fc.oneof(
        fc.record({ type: fc.constant('text-delta'), text: fc.oneof(fc.string(), huge) }),
        hostile,
      ),
    }),
    fc.record({
      event: fc.constant('usage'),
      usage: fc.oneof(
        fc.record({ input_tokens: fc.nat(), output_tokens: fc.oneof(fc.nat(), hostile) }),
        hostile,
      ),
    }),
    fc.record({
      event: fc.constant('message-finish'),
      reason: fc.oneof(fc.constantFrom('stop', 'tool_use', 'length'), hostile),
      usage: fc.oneof(fc.record({ input_tokens: fc.nat(), output_tokens: fc.nat() }), hostile),
    }),
    hostile,
  );
  const script = fc.record({
    events: fc.array(event, { maxLength: 8 }),
    failAt: fc.oneof(
      { weight: 4, arbitrary: fc.constant(-1) },
      { weight: 1, arbitrary: fc.nat(8) },
    ),
    // LangChain's ChatModelStream turns a non-Error into `new Error(String(err))`, which a
    // hostile value breaks without us too: failures here are Errors.
    failWith: fc.string().map((m) => new Error(m)),
  });

  it('streamEvents(): the application reads what it reads without us; no span open; bounded', async () => {
    await fc.assert(
      fc.asyncProperty(script, async (sc) => {
        const run = async () => {
          const stream = new EventModel(sc).streamEvents('hi');
          const read: unknown[] = [];
          for await (const ev of stream) read.push(ev);
          const message = await stream;
          return { read, content: message?.content, usage: message?.usage_metadata };
        };
        w.lc.uninstrument();
        const bare = await outcome(run);
        w.lc.instrument();
        w.t.reset();
        w.tracker.reset();
        const { result, escaped } = await watchProcess(() => outcome(run));
        expect(escaped).toEqual([]);
        same(result, bare);
        // Our follower ends the span a few turns after the application's last read.
        for (let i = 0; i < 50 && w.tracker.open().length > 0; i++)
          await new Promise((r) => setImmediate(r));
        // A call that worked is never recorded as failed (a hostile event is not our error).
        if ((bare as { ok: boolean }).ok)
          for (const span of w.t.spans()) expect(span.status.code, span.name).not.toBe(2);
        checkSpans();
      }),
    );
  });
});

describe('LangChain model returning hostile generations and usage', () => {
  let HostileModel: any;
  beforeAll(() => {
    const { AIMessage } = w.langchain.core.messages;
    HostileModel = class extends scriptedChatModel('hostile') {
      async _generate() {
        const s = this.script;
        if (s.throwValue !== undefined) throw s.throwValue;
        if (s.raw) return s.raw;
        const message = new AIMessage({
          content: s.content,
          usage_metadata: s.usage,
          response_metadata: s.responseMetadata,
          id: s.id,
        });
        return {
          generations: [{ text: s.text, message, generationInfo: s.info }],
          llmOutput: s.llmOutput,
        };
      }
    };
  });

  const usage = fc.oneof(
    hostile,
    fc.record({
      input_tokens: fc.oneof(fc.integer(), fc.double(), hostile),
      output_tokens: fc.oneof(fc.integer(), fc.double(), hostile),
      total_tokens: fc.oneof(fc.integer(), hostile),
      input_token_details: hostile,
      output_token_details: hostile,
    }),
  );
  const script = fc.record(
    {
      content: fc.oneof(
        fc.string(),
        huge,
        fc.array(
          fc.record({
            type: fc.constantFrom('text', 'image_url', 'weird'),
            text: fc.oneof(fc.string(), hostile),
          }),
        ),
        hostile,
      ),
      text: fc.oneof(fc.string(), hostile),
      usage,
      responseMetadata: fc.oneof(fc.dictionary(fc.string(), hostile), hostile),
      id: fc.oneof(fc.string(), hostile),
      info: hostile,
      llmOutput: fc.oneof(fc.record({ tokenUsage: usage }), hostile),
      raw: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: hostile },
      ),
      throwValue: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: hostile },
      ),
    },
    { requiredKeys: [] },
  );

  const summarize = (m: any) =>
    m && typeof m === 'object'
      ? { content: m.content, usage: m.usage_metadata, meta: m.response_metadata }
      : m;

  it('the user gets exactly what LangChain gives without us; no span open; bounded', async () => {
    await fc.assert(
      fc.asyncProperty(script, fc.boolean(), async (s, viaChain) => {
        const run = async () => {
          const model = new HostileModel(s);
          if (!viaChain) return summarize(await model.invoke('hi'));
          const chain = w.langchain.core.prompts.ChatPromptTemplate.fromMessages([
            ['human', '{q}'],
          ]).pipe(model);
          return summarize(await chain.invoke({ q: 'hi' }));
        };
        w.lc.uninstrument();
        const bare = await outcome(run);
        w.lc.instrument();
        w.t.reset();
        w.tracker.reset();
        const { result, escaped } = await watchProcess(() => outcome(run));
        expect(escaped).toEqual([]);
        same(result, bare);
        if ((bare as any).ok === false && w.tracker.open().length > 0) {
          // LangChain itself never ends a run whose _generate returned a malformed result
          // (no handleLLMEnd/handleLLMError): the instrumentation's bound on abandoned runs
          // (TTL, cap, and uninstrument) is what ends it.
          w.lc.uninstrument();
          w.lc.instrument();
        }
        checkSpans();
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Anthropic: hostile JSON bodies and SSE event sequences from the fake server, and raw malformed
// bytes from a tiny server of our own.

const ANTHROPIC_EVENT_TYPES = [
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
];

const sseEvent = fc.oneof(
  // Well-formed events with hostile fields, in any order.
  fc
    .record(
      {
        type: fc.constantFrom(...ANTHROPIC_EVENT_TYPES),
        index: fc.oneof(fc.nat(5), hostile),
        message: fc.oneof(
          fc.record(
            {
              id: fc.oneof(fc.string(), huge),
              model: fc.oneof(fc.string(), huge, hostile),
              usage: fc.oneof(
                fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.double())),
                hostile,
              ),
              content: fc.array(hostile, { maxLength: 3 }),
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
        content_block: fc.oneof(
          fc.record(
            {
              type: fc.constantFrom('text', 'tool_use', 'thinking', 'server_tool_use', '??'),
              text: fc.string(),
              id: fc.string(),
              name: fc.oneof(fc.string(), huge),
              input: hostile,
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
        delta: fc.oneof(
          fc.record(
            {
              type: fc.constantFrom(
                'text_delta',
                'input_json_delta',
                'thinking_delta',
                'signature_delta',
                '??',
              ),
              text: fc.oneof(fc.string(), huge),
              partial_json: fc.string(),
              thinking: fc.string(),
              stop_reason: fc.oneof(fc.string(), huge, hostile),
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
        usage: fc.oneof(
          fc.record(
            {
              output_tokens: fc.oneof(fc.integer(), hostile),
              input_tokens: fc.oneof(fc.integer(), hostile),
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
        error: hostile,
      },
      { requiredKeys: ['type'] },
    )
    .map((data) => ({ event: data.type, data })),
  // Anything at all.
  fc.record({
    event: fc.oneof(fc.constantFrom(...ANTHROPIC_EVENT_TYPES), fc.string()),
    data: hostile,
  }),
);

/** JSON-safe values only go over the wire (the server stringifies them). */
function wireSafe(v: unknown): boolean {
  try {
    JSON.stringify(v);
    return true;
  } catch {
    return false;
  }
}

describe('Anthropic SDK with hostile responses', () => {
  async function consumeStream(client: any): Promise<unknown> {
    const s = await client.messages.create({
      model: 'claude-test',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const out: unknown[] = [];
    for await (const ev of s) out.push(ev);
    return out;
  }
  async function helperStream(client: any): Promise<unknown> {
    const s = client.messages.stream({
      model: 'claude-test',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const out: unknown[] = [];
    for await (const ev of s) out.push(ev);
    return { out, final: await s.finalMessage().catch((e: any) => `final failed: ${e?.message}`) };
  }

  it('SSE event sequences (malformed, truncated, out of order, huge): same outcome, no open span, bounded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sseEvent, { maxLength: 12 }).filter(wireSafe),
        fc.option(fc.nat(12), { nil: undefined }),
        fc.boolean(),
        async (events, resetAfter, useHelper) => {
          const consume = useHelper ? helperStream : consumeStream;
          const reply = { kind: 'sse' as const, events: events as any, resetAfter };
          w.an.uninstrument();
          w.server.enqueue(reply);
          const bare = await outcome(() => consume(w.anthropic));
          w.an.instrument();
          w.t.reset();
          w.tracker.reset();
          w.server.enqueue(reply);
          const { result, escaped } = await watchProcess(() => outcome(() => consume(w.anthropic)));
          expect(escaped).toEqual([]);
          same(result, bare);
          checkSpans();
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('JSON message bodies with hostile fields: same outcome, no open span, bounded', async () => {
    const body = fc
      .record(
        {
          id: fc.oneof(fc.string(), huge, hostile),
          type: fc.oneof(fc.constant('message'), hostile),
          role: fc.oneof(fc.constant('assistant'), hostile),
          model: fc.oneof(fc.string(), huge, hostile),
          content: fc.oneof(
            fc.array(
              fc.oneof(
                fc.record(
                  {
                    type: fc.constantFrom('text', 'tool_use', 'thinking', '??'),
                    text: fc.oneof(fc.string(), huge),
                    name: fc.string(),
                    input: hostile,
                  },
                  { requiredKeys: [] },
                ),
                hostile,
              ),
              { maxLength: 4 },
            ),
            hostile,
          ),
          stop_reason: fc.oneof(fc.string(), huge, hostile),
          usage: fc.oneof(
            fc.dictionary(
              fc.constantFrom(
                'input_tokens',
                'output_tokens',
                'cache_read_input_tokens',
                'cache_creation_input_tokens',
                'server_tool_use',
              ),
              fc.oneof(fc.integer(), fc.double(), hostile),
            ),
            hostile,
          ),
        },
        { requiredKeys: [] },
      )
      .filter(wireSafe);
    const status = fc.constantFrom(200, 200, 200, 400, 429, 500, 529);
    await fc.assert(
      fc.asyncProperty(body, status, async (b, st) => {
        const reply = { kind: 'json' as const, status: st, body: b };
        const call = async () => {
          const r = await w.anthropic.messages.create({
            model: 'claude-test',
            max_tokens: 8,
            messages: [{ role: 'user', content: 'hi' }],
          });
          const { _request_id, ...rest } = r;
          return rest;
        };
        w.an.uninstrument();
        w.server.enqueue(reply);
        const bare = await outcome(call);
        w.an.instrument();
        w.t.reset();
        w.tracker.reset();
        w.server.enqueue(reply);
        const { result, escaped } = await watchProcess(() => outcome(call));
        expect(escaped).toEqual([]);
        same(result, bare);
        checkSpans();
      }),
    );
  });

  describe('raw malformed bytes', () => {
    let server: Server;
    let next: { type: string; body: string } = { type: 'text/event-stream', body: '' };
    let client: any;
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': next.type });
          res.end(next.body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      client = anthropicClient(w.Anthropic, {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const line = fc.oneof(
      fc.string().map((s) => `data: ${s}`),
      fc.constantFrom(...ANTHROPIC_EVENT_TYPES).map((t) => `event: ${t}`),
      fc.constantFrom(
        'data: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":1}}}',
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}',
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}',
        'data: {"type":"message_stop"}',
        'data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use"',
        'data: {',
        ':comment',
        '',
      ),
      fc.string(),
    );

    it('random SSE lines and JSON fragments: same outcome, no open span, bounded', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.boolean(), async (lines, sse) => {
          next = { type: sse ? 'text/event-stream' : 'application/json', body: lines.join('\n') };
          const call = sse
            ? async () => {
                const s = await client.messages.create({
                  model: 'm',
                  max_tokens: 8,
                  messages: [{ role: 'user', content: 'hi' }],
                  stream: true,
                });
                const out: unknown[] = [];
                for await (const ev of s) out.push(ev);
                return out;
              }
            : async () => {
                const r = await client.messages.create({
                  model: 'm',
                  max_tokens: 8,
                  messages: [{ role: 'user', content: 'hi' }],
                });
                if (r && typeof r === 'object') {
                  const { _request_id, ...rest } = r;
                  return rest;
                }
                return r;
              };
          w.an.uninstrument();
          const bare = await outcome(call);
          w.an.instrument();
          w.t.reset();
          w.tracker.reset();
          const { result, escaped } = await watchProcess(() => outcome(call));
          expect(escaped).toEqual([]);
          same(result, bare);
          checkSpans();
        }),
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('LlamaIndex with hostile documents and LLM responses', () => {
  const chatReply = fc.oneof(
    fc.record(
      {
        message: fc.oneof(
          fc.record(
            {
              role: fc.oneof(fc.constant('assistant'), hostile),
              content: fc.oneof(fc.string(), fc.constant('w'.repeat(20_000)), hostile),
              options: hostile,
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
        raw: fc.oneof(
          fc.record(
            {
              id: fc.oneof(fc.string(), huge, hostile),
              model: fc.oneof(fc.string(), huge, hostile),
              stop_reason: hostile,
              usage: hostile,
            },
            { requiredKeys: [] },
          ),
          hostile,
        ),
      },
      { requiredKeys: [] },
    ),
    hostile,
  );
  const docText = fc.oneof(
    fc.string({ minLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1 }),
    fc.constant('lorem ipsum dolor '.repeat(40)),
  );
  const metadata = fc.dictionary(
    fc.string({ maxLength: 8 }),
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    { maxKeys: 5 },
  );

  it('the user gets exactly what LlamaIndex gives without us; no span open; bounded', async () => {
    const { li, FakeLLM, embed } = w.llama;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ text: docText, metadata }), { minLength: 1, maxLength: 3 }),
        chatReply,
        fc.oneof(fc.string(), fc.constant('why '.repeat(150))),
        fc.boolean(),
        async (docs, reply, query, stream) => {
          const llm = new FakeLLM();
          llm.script = (params: any) => {
            if (!params.stream) return reply;
            return (async function* () {
              yield {
                delta: typeof reply === 'object' && reply ? (reply as any).message?.content : reply,
                raw: (reply as any)?.raw,
              };
            })();
          };
          const run = async () => {
            const documents = docs.map(
              (d, i) => new li.Document({ text: d.text, metadata: d.metadata, id_: `d${i}` }),
            );
            const index = await li.VectorStoreIndex.fromDocuments(documents, {
              embedModel: embed,
            } as any);
            const engine = index.asQueryEngine({ llm } as any);
            if (!stream) {
              const r = await engine.query({ query });
              return String(r);
            }
            const s = await engine.query({ query, stream: true });
            let out = '';
            for await (const c of s) out += String(c?.delta ?? c?.response ?? '');
            return out;
          };
          w.li.uninstrument();
          const bare = await outcome(run);
          w.li.instrument();
          w.t.reset();
          w.tracker.reset();
          const { result, escaped } = await watchProcess(() => outcome(run));
          expect(escaped).toEqual([]);
          same(result, bare);
          checkSpans();
        },
      ),
      { numRuns: Math.max(10, Math.floor(RUNS / 2)) },
    );
  }, 180_000);
});
