/**
 * Security and privacy: content capture is off by default in every package; API keys and
 * `Authorization` / `x-api-key` values never appear in any attribute, event or diag line (even
 * with content capture on); baggage keys outside the allowlist never become attributes;
 * attribute values stay bounded in length and count with hostile-size inputs.
 */

// Whatever the machine's environment says, the defaults are what we test.
delete process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
delete process.env.GENAI_OTEL_SEMCONV;

import { GenAIContextSpanProcessor } from '@genai-otel/core';
import { messageBody, sseText } from '@genai-otel/test-utils';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_PARAMS,
  API_KEY,
  anthropicClient,
  boundViolations,
  createWorld,
  type RecordingDiag,
  recordDiag,
  spanStrings,
  type World,
} from './_harness.js';

const PROMPT = 'PROMPT_MARKER_7f3a';
const COMPLETION = 'COMPLETION_MARKER_9a1b';
const DOCUMENT = 'DOCUMENT_MARKER_2c4d';
const SYSTEM = 'SYSTEM_MARKER_5e6f';
const AUTH = 'Bearer AUTH_HEADER_MARKER_0d0d';
const X_API_KEY = 'x-api-key-MARKER-1e1e';
const LC_KEY = 'sk-langchain-MARKER-2f2f';
const LI_KEY = 'sk-llama-MARKER-3a3a';
const SECRETS = [API_KEY, AUTH, 'AUTH_HEADER_MARKER_0d0d', X_API_KEY, LC_KEY, LI_KEY];

let w: World;
let log: RecordingDiag;
beforeAll(async () => {
  log = recordDiag();
  w = await createWorld({ extraProcessors: [new GenAIContextSpanProcessor()] });
});
afterAll(() => w.close());
beforeEach(() => {
  w.t.reset();
  w.tracker.reset();
});

/** Everything observable: span strings plus every diag line. */
function observed(): string[] {
  return [...w.t.spans().flatMap(spanStrings), ...log.lines.map((l) => l.text)];
}

/** A LangChain chat model that carries secrets the way provider integrations do. */
function secretModel(secretsInOutput: boolean) {
  const { BaseChatModel } = w.langchain.core.chatModels;
  const { AIMessage } = w.langchain.core.messages;
  class SecretChatModel extends BaseChatModel {
    apiKey = LC_KEY;
    clientOptions = { headers: { Authorization: AUTH, 'x-api-key': X_API_KEY } };
    _llmType() {
      return 'secret';
    }
    getLsParams() {
      return { ls_provider: 'anthropic', ls_model_name: 'secret-model', ls_model_type: 'chat' };
    }
    invocationParams() {
      return {
        model: 'secret-model',
        api_key: LC_KEY,
        apiKey: LC_KEY,
        headers: { Authorization: AUTH, 'x-api-key': X_API_KEY },
      };
    }
    async _generate() {
      return {
        generations: [{ text: COMPLETION, message: new AIMessage({ content: COMPLETION }) }],
        llmOutput: secretsInOutput ? { apiKey: LC_KEY, headers: { authorization: AUTH } } : {},
      };
    }
  }
  return new (SecretChatModel as any)({});
}

async function runEverything(secretsInOutput = false): Promise<void> {
  const { core } = w.langchain;
  // LangChain: prompt -> model -> parser, a direct model call, a retriever with documents.
  const chain = core.prompts.ChatPromptTemplate.fromMessages([
    ['system', SYSTEM],
    ['human', '{q}'],
  ])
    .pipe(secretModel(secretsInOutput))
    .pipe(new core.outputParsers.StringOutputParser());
  expect(await chain.invoke({ q: PROMPT })).toBe(COMPLETION);
  await w.langchain.model([COMPLETION]).invoke(PROMPT);
  const retriever = new core.testing.FakeRetriever({
    output: [{ pageContent: DOCUMENT, metadata: { source: DOCUMENT } }],
  });
  await retriever.invoke(PROMPT);

  // LlamaIndex: an index over a secret document, an LLM that holds an API key.
  const { li, llm, embed } = w.llama;
  (llm as any).apiKey = LI_KEY;
  (llm as any).session = { headers: { Authorization: AUTH } };
  llm.script = () => ({
    message: { role: 'assistant', content: COMPLETION },
    raw: { id: 'x', model: 'fake-llm-1', usage: { input_tokens: 1, output_tokens: 1 } },
  });
  const index = await li.VectorStoreIndex.fromDocuments(
    [new li.Document({ text: `${DOCUMENT} is here` })],
    { embedModel: embed } as any,
  );
  try {
    expect(String(await index.asQueryEngine().query({ query: PROMPT }))).toBe(COMPLETION);
  } finally {
    llm.script = undefined;
  }

  // Anthropic: key, Authorization and x-api-key headers; plain, streamed and a 401.
  const client = anthropicClient(w.Anthropic, w.server, {
    defaultHeaders: { Authorization: AUTH, 'x-api-key': X_API_KEY },
  });
  const params = {
    ...ANTHROPIC_PARAMS,
    system: SYSTEM,
    messages: [{ role: 'user', content: PROMPT }],
    metadata: { user_id: 'u1' },
  };
  w.server.enqueue({
    kind: 'json',
    body: messageBody({ content: [{ type: 'text', text: COMPLETION }] }),
  });
  await client.messages.create(params);
  w.server.enqueue(sseText({ text: [COMPLETION, ' more'] }));
  for await (const _ of await client.messages.create({ ...params, stream: true })) {
    // drain
  }
  w.server.enqueue({ kind: 'error', status: 401, type: 'authentication_error', message: 'no' });
  await expect(client.messages.create(params)).rejects.toThrow();
  // The fake server saw the secrets (they were really sent), so the scan below is meaningful.
  const headers = w.server.requests[w.server.requests.length - 1].headers;
  expect(String(headers.authorization)).toBe(AUTH);
}

describe('content capture', () => {
  it('is off by default in every package: no prompt, completion, system or document text', async () => {
    await runEverything();
    const names = new Set(w.t.spans().map((s: any) => s.name));
    for (const n of ['chat secret-model', 'query', 'chat claude-test', 'retrieval FakeRetriever'])
      expect(names, [...names].join(', ')).toContain(n);
    const text = observed().join('\n');
    for (const marker of [PROMPT, COMPLETION, DOCUMENT, SYSTEM]) expect(text).not.toContain(marker);
    expect(w.tracker.open()).toEqual([]);
  });

  it('is really captured when turned on (so the scan above can fail)', async () => {
    for (const i of w.all) i.setConfig({ ...i.getConfig(), captureContent: 'SPAN_AND_EVENT' });
    try {
      await runEverything();
      const text = observed().join('\n');
      for (const marker of [PROMPT, COMPLETION, DOCUMENT, SYSTEM]) expect(text).toContain(marker);
    } finally {
      for (const i of w.all) i.setConfig({ ...i.getConfig(), captureContent: false });
    }
  });
});

describe('credentials', () => {
  const cases = [
    // Secrets in the client/model configuration, request options and headers.
    { capture: false, secretsInOutput: false },
    { capture: 'SPAN_AND_EVENT', secretsInOutput: false },
    // A model that also echoes credentials in its llmOutput (LangChain merges llmOutput into
    // the message's response_metadata).
    { capture: false, secretsInOutput: true },
    // With capture on, chain spans serialise whole AIMessages (response_metadata included):
    // core's serialisation replaces the values of credential-like keys.
    { capture: 'SPAN_AND_EVENT', secretsInOutput: true },
  ] as const;
  for (const c of cases) {
    const title = `API keys, Authorization and x-api-key never appear anywhere (capture ${c.capture}, secrets in model output: ${c.secretsInOutput})`;
    it(title, async () => {
      for (const i of w.all)
        i.setConfig({
          ...i.getConfig(),
          captureContent: c.capture,
          semconv: ['gen_ai', 'openinference'],
        });
      log.clear();
      try {
        await runEverything(c.secretsInOutput);
        const text = observed();
        expect(text.length).toBeGreaterThan(50);
        for (const secret of SECRETS) {
          const hits = text.filter((t) => t.includes(secret));
          expect(hits, `${secret} leaked`).toEqual([]);
        }
      } finally {
        for (const i of w.all)
          i.setConfig({ ...i.getConfig(), captureContent: false, semconv: ['gen_ai'] });
      }
    });
  }
});

describe('baggage', () => {
  it('keys outside the allowlist never become attributes', async () => {
    const ctx = propagation.extract(ROOT_CONTEXT, {
      baggage:
        'user.id=alice,session.id=s1,password=hunter2-MARKER,api_key=sk-bag-MARKER,genai_otel.x=y-MARKER',
    });
    await context.with(ctx, async () => {
      await w.langchain.chain().invoke({ question: 'q' });
      await w.llama.index.asQueryEngine().query({ query: 'q' });
      await w.anthropic.messages.create(ANTHROPIC_PARAMS);
    });
    const spans = w.t.spans();
    expect(spans.length).toBeGreaterThan(5);
    for (const s of spans) {
      expect(s.attributes['user.id']).toBe('alice');
      expect(s.attributes['session.id']).toBe('s1');
      for (const k of ['password', 'api_key', 'genai_otel.x'])
        expect(Object.keys(s.attributes)).not.toContain(k);
      expect(spanStrings(s).join('\n')).not.toContain('MARKER');
    }
  });
});

describe('attribute bounds with content capture on', () => {
  it('huge and numerous messages, documents and outputs stay within maxContentLength', async () => {
    const MAX = 500;
    for (const i of w.all)
      i.setConfig({ ...i.getConfig(), captureContent: 'SPAN_AND_EVENT', maxContentLength: MAX });
    try {
      const big = 'B'.repeat(1_000_000);
      const many = Array.from({ length: 2000 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `m${i} ${'x'.repeat(100)}`,
      }));
      const { core } = w.langchain;
      await w.langchain
        .model([big])
        .invoke(many.map((m) => [m.role === 'user' ? 'human' : 'ai', m.content]));
      await w.langchain.chain([big]).invoke({ question: big });
      await new core.testing.FakeRetriever({
        output: Array.from({ length: 500 }, () => ({
          pageContent: big.slice(0, 20_000),
          metadata: {},
        })),
      }).invoke(big);
      w.llama.llm.script = () => ({ message: { role: 'assistant', content: big }, raw: {} });
      try {
        await w.llama.index.asQueryEngine().query({ query: big.slice(0, 5000) });
      } finally {
        w.llama.llm.script = undefined;
      }
      w.server.enqueue({
        kind: 'json',
        body: messageBody({ content: [{ type: 'text', text: big }] }),
      });
      await w.anthropic.messages.create({
        ...ANTHROPIC_PARAMS,
        system: big,
        messages: many,
        tools: Array.from({ length: 300 }, (_, i) => ({
          name: `tool_${i}`,
          description: big.slice(0, 3000),
          input_schema: { type: 'object' },
        })),
      });
      const spans = w.t.spans();
      expect(spans.length).toBeGreaterThan(5);
      const bad = spans.flatMap((s: any) =>
        boundViolations(s, MAX + 64).filter((v) => !v.includes('exception.')),
      );
      expect(bad).toEqual([]);
      // Content was captured (bounded), not silently dropped.
      expect(spans.flatMap(spanStrings).some((t: string) => t.includes('BBBB'))).toBe(true);
    } finally {
      for (const i of w.all)
        i.setConfig({ ...i.getConfig(), captureContent: false, maxContentLength: undefined });
    }
  }, 60_000);
});
