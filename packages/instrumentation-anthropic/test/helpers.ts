import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  createTestTelemetry,
  type FakeAnthropic,
  startFakeAnthropic,
} from '@genai-otel/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { AnthropicInstrumentor } from '../src/index.js';
import type { AnthropicInstrumentationConfig } from '../src/types.js';

export const require = createRequire(import.meta.url);

export const API_KEY = 'sk-ant-test-SECRET-0123456789abcdef';

/** The SDK versions under test, by the alias each is installed under. */
export const SDKS = [
  // `modern`: the 0.50+ layout (fetch/undici transport, in-stream errors as APIError).
  { alias: '@anthropic-ai/sdk', version: '1.17.0', native: true, completions: false, modern: true },
  {
    alias: '@anthropic-ai/sdk-v0137',
    version: '0.137.0',
    native: true,
    completions: true,
    modern: true,
  },
  {
    alias: '@anthropic-ai/sdk-v0',
    version: '0.122.0',
    native: false,
    completions: true,
    modern: true,
  },
  {
    alias: '@anthropic-ai/sdk-v058',
    version: '0.58.0',
    native: false,
    completions: true,
    modern: true,
  },
  // Older layouts (node-fetch transport): LangChain/LlamaIndex provider packages of 2024-25.
  {
    alias: '@anthropic-ai/sdk-v041',
    version: '0.41.0',
    native: false,
    completions: true,
    modern: false,
  },
  {
    alias: '@anthropic-ai/sdk-v030',
    version: '0.30.0',
    native: false,
    completions: true,
    modern: false,
  },
] as const;

export type SdkInfo = (typeof SDKS)[number];

export interface Harness {
  t: ReturnType<typeof createTestTelemetry>;
  inst: AnthropicInstrumentor;
  server: FakeAnthropic;
}

/**
 * One telemetry (registered globally, so SDKs that trace themselves would export their own
 * spans into the same exporter), one instrumentation (created before any SDK is required, so
 * the require hook patches it), one fake API server.
 */
export async function createHarness(config: AnthropicInstrumentationConfig = {}): Promise<Harness> {
  const t = createTestTelemetry({ registerGlobal: true });
  const inst = new AnthropicInstrumentor(config);
  inst.setTracerProvider(t.tracerProvider);
  inst.setMeterProvider(t.meterProvider);
  const server = await startFakeAnthropic();
  return { t, inst, server };
}

/**
 * Registers the shared vitest lifecycle of a test file: one harness for the file, reset
 * before each test, torn down after all; and after every test, no span may carry the API key.
 * The returned object is filled in by `beforeAll`.
 */
export function useHarness(): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await createHarness());
  });
  afterAll(async () => {
    h.inst.disable();
    await h.server.close();
    await h.t.shutdown();
  });
  afterEach(() => {
    for (const span of h.t.spans()) {
      for (const text of spanStrings(span)) expect(text).not.toContain(API_KEY);
    }
  });
  beforeEach(() => {
    h.t.reset();
    h.server.reset();
    h.inst.setConfig({});
  });
  return h;
}

export function loadSdk(alias: string): any {
  const mod = require(alias);
  return mod.default ?? mod.Anthropic ?? mod;
}

export function client(
  Anthropic: any,
  server: FakeAnthropic,
  options: Record<string, unknown> = {},
) {
  return new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0, ...options });
}

export const BASE_PARAMS = {
  model: 'claude-test',
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello' }],
};

/** Every string found in a span's attributes, events, links, status and resource-free fields. */
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
  return out;
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The installed version of an SDK alias (its package.json is not exported). */
export function installedVersion(alias: string): string {
  const dir = dirname(require.resolve(alias));
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}
