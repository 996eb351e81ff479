/**
 * Lifecycle: frameworks loaded BEFORE the instrumentations exist (then handed over with
 * `manuallyInstrument`), instrument/uninstrument/instrument cycles (spans only while
 * instrumented, exactly one per call, never doubled), switching between two tracer providers,
 * and a bundled app (esbuild inlines LangChain and the Anthropic SDK) instrumented with
 * `manuallyInstrument` in a child process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestTelemetry,
  createTracerProvider,
  type FakeAnthropic,
  sdkLine,
  simpleProcessor,
  startFakeAnthropic,
  traceSdk,
} from '@genai-otel/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_PARAMS,
  anthropicClient,
  loadLangChain,
  loadLlama,
  require,
} from './_harness.js';

// 1. The frameworks are loaded first, as in an app that sets up telemetry late.
const langchain = loadLangChain();
const llamaPromise = loadLlama();
const sdkModule = require('@anthropic-ai/sdk');
const Anthropic = sdkModule.default ?? sdkModule;

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..');
const repoRoot = join(pkgRoot, '..', '..');

// 2. Only now the instrumentations.
const { LangChainInstrumentor } = await import('@genai-otel/instrumentation-langchain');
const { LlamaIndexInstrumentor } = await import('@genai-otel/instrumentation-llamaindex');
const { AnthropicInstrumentor } = await import('@genai-otel/instrumentation-anthropic');

const t = createTestTelemetry();
const lc = new LangChainInstrumentor();
const li = new LlamaIndexInstrumentor();
const an = new AnthropicInstrumentor();
const all = [lc, li, an];
let llama: Awaited<typeof llamaPromise>;
let server: FakeAnthropic;
let client: any;

beforeAll(async () => {
  llama = await llamaPromise;
  server = await startFakeAnthropic();
  client = anthropicClient(Anthropic, server);
  for (const i of all) {
    i.setTracerProvider(t.tracerProvider);
    i.setMeterProvider(t.meterProvider);
    i.instrument();
  }
});
afterAll(async () => {
  for (const i of all) i.uninstrument();
  await server.close();
  await t.shutdown();
});

const calls = {
  langchain: async () => {
    expect(await langchain.chain(['x']).invoke({ question: 'q' })).toBe('x');
  },
  llamaindex: async () => {
    await llama.index.asQueryEngine().query({ query: 'q' });
  },
  anthropic: async () => {
    expect((await client.messages.create(ANTHROPIC_PARAMS)).content[0].text).toBe('Hello there');
  },
};
const MODEL_SPAN = {
  langchain: 'chat FakeListChatModel',
  llamaindex: 'chat fake-llm-1',
  anthropic: 'chat claude-test',
};
const ROOT_SPAN = {
  langchain: 'RunnableSequence',
  llamaindex: 'query',
  anthropic: 'chat claude-test',
};

function handOver(): void {
  lc.manuallyInstrument(require('@langchain/core/callbacks/manager'));
  lc.manuallyInstrument({
    Runnable: langchain.core.runnables.Runnable,
    BaseChatModel: langchain.core.chatModels.BaseChatModel,
  });
  li.manuallyInstrument(llama.li);
  an.manuallyInstrument(Anthropic);
}

async function countSpans(): Promise<
  Record<string, { model: number; root: number; total: number }>
> {
  const out: Record<string, { model: number; root: number; total: number }> = {};
  for (const [name, call] of Object.entries(calls)) {
    t.reset();
    await call();
    const spans = t.spans();
    out[name] = {
      model: spans.filter((s: any) => s.name === MODEL_SPAN[name as keyof typeof MODEL_SPAN])
        .length,
      root: spans.filter((s: any) => s.name === ROOT_SPAN[name as keyof typeof ROOT_SPAN]).length,
      total: spans.length,
    };
  }
  return out;
}

const ONE = { model: 1, root: 1 };

describe('frameworks loaded before the instrumentations', () => {
  it('manuallyInstrument hands them over: one span per call, never two', async () => {
    handOver();
    const counts = await countSpans();
    for (const c of Object.values(counts)) expect(c).toMatchObject(ONE);
    // Idempotent: handing over again (and instrument() again) doubles nothing.
    handOver();
    for (const i of all) i.instrument();
    const again = await countSpans();
    expect(again).toEqual(counts);
  });

  it('instrument / uninstrument cycles: spans only while instrumented, never doubled', async () => {
    let first: Awaited<ReturnType<typeof countSpans>> | undefined;
    for (let cycle = 0; cycle < 3; cycle++) {
      for (const i of all) i.uninstrument();
      const off = await countSpans();
      for (const c of Object.values(off)) expect(c.total).toBe(0);
      for (const i of all) i.instrument();
      handOver(); // uninstrument() removed the manual patches too
      const on = await countSpans();
      for (const c of Object.values(on)) expect(c).toMatchObject(ONE);
      first ??= on;
      expect(on).toEqual(first);
    }
  });

  it('switching between two tracer providers: each span goes to exactly one', async () => {
    const sdk = traceSdk();
    const a = new sdk.InMemorySpanExporter();
    const b = new sdk.InMemorySpanExporter();
    const pa = createTracerProvider({ spanProcessors: [simpleProcessor(a)] });
    const pb = createTracerProvider({ spanProcessors: [simpleProcessor(b)] });
    try {
      for (const provider of [pa, pb, pa]) {
        for (const i of all) i.setTracerProvider(provider);
        for (const call of Object.values(calls)) await call();
      }
      const names = (e: any) => e.getFinishedSpans().map((s: any) => s.name);
      for (const n of Object.values(MODEL_SPAN)) {
        expect(names(a).filter((x: string) => x === n)).toHaveLength(2);
        expect(names(b).filter((x: string) => x === n)).toHaveLength(1);
      }
      t.reset();
      for (const call of Object.values(calls)) await call();
      expect(t.spans()).toHaveLength(0); // the first provider no longer receives anything
    } finally {
      for (const i of all) i.setTracerProvider(t.tracerProvider);
      await pa.shutdown();
      await pb.shutdown();
    }
  });
});

describe('a bundled app (esbuild) instrumented with manuallyInstrument', () => {
  const exec = promisify(execFile);
  const outDir = join(pkgRoot, '.tmp');
  const bundle = join(outDir, 'bundled-app.cjs');

  beforeAll(async () => {
    const esbuild = require('esbuild');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, '.gitignore'), '*\n');
    const src = (p: string) => join(repoRoot, 'packages', p, 'src', 'index.ts');
    await esbuild.build({
      entryPoints: [join(pkgRoot, 'fixtures', 'bundled-app.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
      // The frameworks and our packages are inlined; the OpenTelemetry packages stay external
      // (one copy of the API, shared with the SDK the app loads at run time).
      external: ['@opentelemetry/*'],
      alias: {
        '@genai-otel/core': src('core'),
        '@genai-otel/instrumentation-langchain': src('instrumentation-langchain'),
        '@genai-otel/instrumentation-anthropic': src('instrumentation-anthropic'),
      },
    });
  }, 120_000);

  async function runBundle(manual: boolean): Promise<any> {
    const testUtilsRequire = createRequire(join(repoRoot, 'tools', 'test-utils', 'package.json'));
    const sdkPath = testUtilsRequire.resolve(
      sdkLine === 3 ? '@opentelemetry/sdk-trace' : '@opentelemetry/sdk-trace-base',
    );
    const { stdout } = await exec(process.execPath, [bundle], {
      env: {
        ...process.env,
        FAKE_ANTHROPIC_URL: server.url,
        OTEL_SDK_PATH: sdkPath,
        MANUAL: manual ? '1' : '0',
        ANTHROPIC_OPEN_TELEMETRY: 'false',
        NODE_PATH: [
          join(pkgRoot, 'node_modules'),
          join(repoRoot, 'packages', 'core', 'node_modules'),
        ].join(':'),
      },
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop() as string);
  }

  it('without manuallyInstrument the inlined frameworks are invisible (no spans)', async () => {
    const out = await runBundle(false);
    expect(out.answer).toBe('bundled answer');
    expect(out.text).toBe('Hello there');
    expect(out.spans).toEqual([]);
  }, 60_000);

  it('with manuallyInstrument: the chain, its model and the Anthropic call are traced once each', async () => {
    const out = await runBundle(true);
    expect(out.answer).toBe('bundled answer');
    expect(out.text).toBe('Hello there');
    const names = out.spans.map((s: any) => s.name);
    expect(names.filter((n: string) => n === 'chat FakeListChatModel')).toHaveLength(1);
    expect(names.filter((n: string) => n === 'RunnableSequence')).toHaveLength(1);
    expect(names.filter((n: string) => n === 'chat claude-bundled')).toHaveLength(1);
    const seq = out.spans.find((s: any) => s.name === 'RunnableSequence');
    const model = out.spans.find((s: any) => s.name === 'chat FakeListChatModel');
    expect(model.traceId).toBe(seq.traceId);
    expect(model.parentId).toBe(seq.spanId);
    expect(out.spans.find((s: any) => s.name === 'chat claude-bundled').attributes).toMatchObject({
      'gen_ai.request.model': 'claude-bundled',
      'gen_ai.usage.input_tokens': 10,
    });
  }, 60_000);
});
