import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumentationSelectionFromEnv } from '../src/env.js';
import { esmIncludeFor, isPackageInstalled, setupTelemetry } from '../src/index.js';
import { createGenAIInstrumentations } from '../src/instrumentations.js';
import type { TelemetryHandle } from '../src/types.js';

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  vi.unstubAllEnvs();
});

describe('instrumentation selection', () => {
  it('detects installed frameworks from the application directory', () => {
    // packages/node has @anthropic-ai/sdk as a devDependency; nothing called this exists.
    expect(isPackageInstalled('@anthropic-ai/sdk')).toBe(true);
    expect(isPackageInstalled('@genai-otel/definitely-not-installed')).toBe(false);
  });

  it('enables only the frameworks found, unless forced on or off', () => {
    const auto = createGenAIInstrumentations({ startDisabled: true });
    expect(auto.frameworks).toContain('anthropic');
    const forced = createGenAIInstrumentations({
      selection: { anthropic: false, llamaindex: true, langchain: false },
      startDisabled: true,
    });
    expect(forced.frameworks).toEqual(['llamaindex']);
  });

  it('passes captureContent to every instrumentation unless its own config overrides it', () => {
    const { instrumentations } = createGenAIInstrumentations({
      selection: { anthropic: { captureContent: false }, langchain: true, llamaindex: false },
      captureContent: true,
      startDisabled: true,
    });
    const configs = instrumentations.map((i) => i.getConfig() as { captureContent?: unknown });
    expect(configs.map((c) => c.captureContent)).toEqual([false, true]);
  });

  it('derives an ESM include list of RegExps on the patched internal files', () => {
    const { instrumentations } = createGenAIInstrumentations({
      selection: { anthropic: true, langchain: false, llamaindex: false },
      startDisabled: true,
    });
    const include = esmIncludeFor(instrumentations);
    const regexps = include.filter((i): i is RegExp => i instanceof RegExp);
    expect(regexps.length).toBeGreaterThan(0);
    const matches = (url: string) =>
      include.some((i) => (i instanceof RegExp ? i.test(url) : i === url));
    const base = 'file:///app/node_modules/.pnpm/x/node_modules/@anthropic-ai/sdk';
    expect(matches(`${base}/resources/messages/messages.mjs`)).toBe(true);
    expect(matches(`${base}/resources/messages/messages.js`)).toBe(true);
    // Unrelated modules (and the package's own entry) are left alone: start-up stays fast.
    expect(matches(`${base}/index.mjs`)).toBe(false);
    expect(matches('file:///app/node_modules/express/index.js')).toBe(false);
  });

  it('setupTelemetry returns the enabled instrumentations and a second call returns the same handle', () => {
    handle = setupTelemetry({
      traceExporters: ['none'],
      instrumentations: { anthropic: true, langchain: false, llamaindex: false },
      esmHook: false,
    });
    expect(handle.instrumentations.map((i) => i.instrumentationName)).toEqual([
      '@genai-otel/instrumentation-anthropic',
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-undici',
    ]);
    expect(setupTelemetry({})).toBe(handle);
  });

  it('reads OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    vi.stubEnv('OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'anthropic,langchain');
    vi.stubEnv('OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'langchain');
    expect(instrumentationSelectionFromEnv()).toEqual({ langchain: false, llamaindex: false });
    handle = setupTelemetry({ traceExporters: ['none'], esmHook: false });
    expect(handle.instrumentations.map((i) => i.instrumentationName)).toEqual([
      '@genai-otel/instrumentation-anthropic',
    ]);
  });
});
