/**
 * Shared set-up of the reliability suite: the three instrumentations wired to one test
 * telemetry, the real frameworks loaded through Node's `require` (so the module hooks patch
 * them), offline workloads for each framework, a span processor that tracks open spans, and
 * a diag logger that records every line.
 */
import { createRequire } from 'node:module';
import { inspect, types } from 'node:util';
import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { LangChainInstrumentor } from '@genai-otel/instrumentation-langchain';
import { LlamaIndexInstrumentor } from '@genai-otel/instrumentation-llamaindex';
import {
  createTestTelemetry,
  type FakeAnthropic,
  startFakeAnthropic,
  type TestTelemetry,
} from '@genai-otel/test-utils';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

export const require = createRequire(import.meta.url);

export const API_KEY = 'sk-ant-RELIABILITY-SECRET-KEY-0123456789';

/** Records every span start and end; `open()` lists spans started and not (yet) ended. */
export class SpanTracker {
  readonly openSpans = new Set<any>();
  started = 0;
  ended = 0;
  /** Keep no reference to spans (for the soak: count only). */
  constructor(private readonly retain = true) {}
  onStart(span: any): void {
    this.started++;
    if (this.retain) this.openSpans.add(span);
  }
  onEnd(span: any): void {
    this.ended++;
    this.openSpans.delete(span);
  }
  open(): string[] {
    return [...this.openSpans].map((s) => s.name);
  }
  reset(): void {
    this.openSpans.clear();
    this.started = 0;
    this.ended = 0;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A diag logger that keeps every line (message and arguments, stringified). */
export class RecordingDiag implements DiagLogger {
  readonly lines: { level: string; text: string }[] = [];
  private add(level: string, message: string, args: unknown[]): void {
    let text = String(message);
    for (const a of args) {
      try {
        text += ` ${a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : JSON.stringify(a)}`;
      } catch {
        text += ` ${String(a)}`;
      }
    }
    this.lines.push({ level, text });
  }
  error = (m: string, ...a: unknown[]) => this.add('error', m, a);
  warn = (m: string, ...a: unknown[]) => this.add('warn', m, a);
  info = (m: string, ...a: unknown[]) => this.add('info', m, a);
  debug = (m: string, ...a: unknown[]) => this.add('debug', m, a);
  verbose = (m: string, ...a: unknown[]) => this.add('verbose', m, a);
  errors(): string[] {
    return this.lines.filter((l) => l.level === 'error').map((l) => l.text);
  }
  clear(): void {
    this.lines.length = 0;
  }
}

export function recordDiag(level = DiagLogLevel.ALL): RecordingDiag {
  const logger = new RecordingDiag();
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
  return logger;
}

/** Every string in a span: name, status, attribute keys and values, events, links. */
export function spanStrings(span: any): string[] {
  const out: string[] = [span.name, span.status?.message ?? ''];
  const collect = (attrs: Record<string, unknown> | undefined) => {
    for (const [k, v] of Object.entries(attrs ?? {})) {
      out.push(k);
      if (Array.isArray(v)) out.push(...v.map(String));
      else out.push(String(v));
    }
  };
  collect(span.attributes);
  for (const e of span.events ?? []) {
    out.push(e.name);
    collect(e.attributes);
  }
  for (const l of span.links ?? []) collect(l.attributes);
  collect(span.resource?.attributes);
  return out;
}

/** Checks the size bounds of one finished span; returns the violations (empty when fine). */
export function boundViolations(span: any, maxString: number, maxAttributes = 128): string[] {
  const bad: string[] = [];
  const check = (where: string, attrs: Record<string, unknown> | undefined) => {
    const entries = Object.entries(attrs ?? {});
    if (entries.length > maxAttributes) bad.push(`${where}: ${entries.length} attributes`);
    for (const [k, v] of entries) {
      const values = Array.isArray(v) ? v : [v];
      if (values.length > maxAttributes) bad.push(`${where}.${k}: array of ${values.length}`);
      for (const x of values)
        if (typeof x === 'string' && x.length > maxString)
          bad.push(`${where}.${k}: string of ${x.length}`);
    }
  };
  check(span.name, span.attributes);
  if ((span.droppedAttributesCount ?? 0) > 0)
    bad.push(`${span.name}: ${span.droppedAttributesCount} attributes dropped by the SDK`);
  if ((span.events ?? []).length > maxAttributes)
    bad.push(`${span.name}: ${span.events.length} events`);
  for (const e of span.events ?? []) check(`${span.name}/${e.name}`, e.attributes);
  return bad;
}

export interface World {
  t: TestTelemetry;
  tracker: SpanTracker;
  lc: LangChainInstrumentor;
  li: LlamaIndexInstrumentor;
  an: AnthropicInstrumentor;
  server: FakeAnthropic;
  all: (LangChainInstrumentor | LlamaIndexInstrumentor | AnthropicInstrumentor)[];
  langchain: LangChainKit;
  llama: LlamaKit;
  Anthropic: any;
  anthropic: any;
  close(): Promise<void>;
}

export interface LangChainKit {
  core: {
    prompts: any;
    runnables: any;
    outputParsers: any;
    testing: any;
    chatModels: any;
    messages: any;
    outputs: any;
  };
  /** prompt -> model -> string parser */
  chain(replies?: string[]): any;
  model(replies?: string[]): any;
}

export interface LlamaKit {
  li: any;
  FakeEmbedding: any;
  FakeLLM: any;
  llm: any;
  embed: any;
  index: any;
}

/**
 * Creates telemetry and the three instrumentations BEFORE the frameworks are required (so the
 * require hooks patch them), then loads the frameworks and a small vector index.
 */
export async function createWorld(
  options: {
    extraProcessors?: unknown[];
    trackSpans?: boolean;
    langchain?: Record<string, unknown>;
    llamaindex?: Record<string, unknown>;
    anthropic?: Record<string, unknown>;
  } = {},
): Promise<World> {
  const tracker = new SpanTracker(options.trackSpans !== false);
  const t = createTestTelemetry({ extraProcessors: [tracker, ...(options.extraProcessors ?? [])] });
  const providers = { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider };
  const lc = new LangChainInstrumentor({ ...options.langchain });
  const li = new LlamaIndexInstrumentor({ ...options.llamaindex });
  const an = new AnthropicInstrumentor({ ...options.anthropic });
  for (const i of [lc, li, an]) {
    i.setTracerProvider(providers.tracerProvider);
    i.setMeterProvider(providers.meterProvider);
    i.instrument();
  }
  const server = await startFakeAnthropic();
  const langchain = loadLangChain();
  const llama = await loadLlama();
  const sdk = require('@anthropic-ai/sdk');
  const Anthropic = sdk.default ?? sdk.Anthropic ?? sdk;
  const anthropic = anthropicClient(Anthropic, server);
  return {
    t,
    tracker,
    lc,
    li,
    an,
    server,
    all: [lc, li, an],
    langchain,
    llama,
    Anthropic,
    anthropic,
    async close() {
      for (const i of [lc, li, an]) i.uninstrument();
      await server.close();
      await t.shutdown();
    },
  };
}

export function anthropicClient(
  Anthropic: any,
  server: { url: string },
  options: Record<string, unknown> = {},
): any {
  return new Anthropic({
    apiKey: API_KEY,
    baseURL: server.url,
    maxRetries: 0,
    // SDK 1.x traces itself with OpenTelemetry; the instrumentation replaces those spans.
    ...options,
  });
}

export function loadLangChain(): LangChainKit {
  const core = {
    prompts: require('@langchain/core/prompts'),
    runnables: require('@langchain/core/runnables'),
    outputParsers: require('@langchain/core/output_parsers'),
    testing: require('@langchain/core/utils/testing'),
    chatModels: require('@langchain/core/language_models/chat_models'),
    messages: require('@langchain/core/messages'),
    outputs: require('@langchain/core/outputs'),
  };
  const model = (replies = ['the answer is 42']) =>
    new core.testing.FakeListChatModel({ responses: replies });
  const chain = (replies?: string[]) =>
    core.prompts.ChatPromptTemplate.fromMessages([
      ['system', 'You answer briefly.'],
      ['human', '{question}'],
    ])
      .pipe(model(replies))
      .pipe(new core.outputParsers.StringOutputParser());
  return { core, chain, model };
}

export async function loadLlama(): Promise<LlamaKit> {
  const li = require('llamaindex');
  class FakeEmbedding extends li.BaseEmbedding {
    model = 'fake-embed-v1';
    async getTextEmbedding(text: string): Promise<number[]> {
      const v = [1, 0, 0, 0];
      for (const c of String(text)) v[c.charCodeAt(0) % 4] += 1;
      return v;
    }
  }
  class FakeLLM extends li.ToolCallLLM {
    /** Overrides the reply of chat() (a function of the messages), for fuzzing. */
    script: ((params: any) => any) | undefined;
    get metadata() {
      return {
        model: 'fake-llm-1',
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 256,
        contextWindow: 8192,
        tokenizer: undefined,
        structuredOutput: false,
      };
    }
    get supportToolCall() {
      return false;
    }
    async chat(params: any): Promise<any> {
      if (this.script) return this.script(params);
      const messages: any[] = params.messages ?? [];
      const last = messages[messages.length - 1];
      const text = typeof last?.content === 'string' ? last.content : '';
      const answer = `Answer about ${text.slice(-16)}`;
      if (params.stream) {
        const words = answer.split(' ');
        return (async function* () {
          yield {
            delta: '',
            raw: {
              type: 'message_start',
              message: { id: 'msg_s', model: 'fake-llm-1', usage: { input_tokens: 20 } },
            },
          };
          for (const w of words) yield { delta: `${w} `, raw: { type: 'content_block_delta' } };
          yield {
            delta: '',
            raw: {
              type: 'message_delta',
              delta: { stop_reason: 'end_turn' },
              usage: { output_tokens: words.length },
            },
          };
        })();
      }
      return {
        message: { role: 'assistant', content: answer },
        raw: {
          id: 'msg_1',
          model: 'fake-llm-1',
          stop_reason: 'end_turn',
          usage: { input_tokens: 20, output_tokens: 7 },
        },
      };
    }
  }
  const embed = new FakeEmbedding();
  const llm = new FakeLLM();
  li.Settings.embedModel = embed;
  li.Settings.llm = llm;
  const docs = [
    'OpenTelemetry is an observability framework for traces, metrics and logs.',
    'LlamaIndex is a data framework for LLM applications and retrieval.',
    'Cats sleep for most of the day and like warm places.',
  ].map((text, i) => new li.Document({ text, id_: `doc-${i}` }));
  const index = await li.VectorStoreIndex.fromDocuments(docs, { embedModel: embed } as any);
  return { li, FakeEmbedding, FakeLLM, llm, embed, index };
}

export const ANTHROPIC_PARAMS = {
  model: 'claude-test',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello' }],
};

/** The standard workloads; each returns a plain value that is comparable across runs. */
export function workloads(w: World) {
  return {
    async langchainChain(question = 'What is 6 x 7?'): Promise<unknown> {
      return w.langchain.chain().invoke({ question });
    },
    async langchainModel(question = 'What is 6 x 7?'): Promise<unknown> {
      const m = await w.langchain.model().invoke(question);
      return { type: m._getType?.() ?? m.getType?.(), content: m.content };
    },
    async llamaQuery(query = 'What is OpenTelemetry?'): Promise<unknown> {
      const engine = w.llama.index.asQueryEngine();
      const r = await engine.query({ query });
      return {
        text: r.toString(),
        sources: (r.sourceNodes ?? []).map((n: any) => String(n.node.text).slice(0, 24)),
      };
    },
    async anthropicCall(): Promise<unknown> {
      const r = await w.anthropic.messages.create(ANTHROPIC_PARAMS);
      const { _request_id, ...rest } = r;
      return rest;
    },
    async anthropicStream(): Promise<unknown> {
      const s = await w.anthropic.messages.create({ ...ANTHROPIC_PARAMS, stream: true });
      const events: unknown[] = [];
      for await (const ev of s) events.push(ev);
      return events;
    },
  };
}

export type WorkloadName = keyof ReturnType<typeof workloads>;

/** Runs `fn`, returning `{ ok, value }` or `{ ok: false, error }` (class and message). */
export async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    return { ok: true, value: await fn() };
  } catch (err: any) {
    if (!types.isProxy(err) && err instanceof Error)
      return { ok: false, error: `${err.constructor?.name}: ${err.message}` };
    return { ok: false, error: inspect(err, { showProxy: true, depth: 4 }) };
  }
}

/** Collects unhandled rejections and uncaught exceptions while `fn` runs (and a tick after). */
export async function watchProcess<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; escaped: unknown[] }> {
  const escaped: unknown[] = [];
  const onRejection = (reason: unknown) => escaped.push(reason);
  const onException = (err: unknown) => escaped.push(err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    const result = await fn();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    return { result, escaped };
  } finally {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}
