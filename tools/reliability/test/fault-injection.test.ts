/**
 * Fault injection: the telemetry pipeline breaks in every way we can think of (exporter throws,
 * hangs, backend unreachable; tracer, spans, meter and diag logger throw) and the user's calls
 * through each instrumentation still return exactly what they return uninstrumented, finish,
 * and leak nothing but `diag` lines.
 */
import { createServer, type Server } from 'node:net';
import { batchProcessor, createTracerProvider, simpleProcessor } from '@genai-otel/test-utils';
import { diag } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createWorld,
  outcome,
  type RecordingDiag,
  recordDiag,
  require,
  SpanTracker,
  type World,
  watchProcess,
  workloads,
} from './_harness.js';

let w: World;
let wl: ReturnType<typeof workloads>;
let log: RecordingDiag;
const baseline = new Map<string, unknown>();

beforeAll(async () => {
  w = await createWorld();
  wl = workloads(w);
  // What the frameworks return without us.
  for (const i of w.all) i.uninstrument();
  for (const [name, fn] of Object.entries(wl)) baseline.set(name, await outcome(fn));
  for (const i of w.all) i.instrument();
  for (const v of baseline.values()) expect(v).toMatchObject({ ok: true });
});
afterAll(async () => {
  diag.disable();
  await w.close();
});

function useTracerProvider(provider: any): void {
  for (const i of w.all) i.setTracerProvider(provider);
}
function useMeterProvider(provider: any): void {
  for (const i of w.all) i.setMeterProvider(provider);
}
function restoreProviders(): void {
  useTracerProvider(w.t.tracerProvider);
  useMeterProvider(w.t.meterProvider);
}

/**
 * Runs every workload (twice each) and checks the user-visible contract: same outcome as
 * uninstrumented, nothing escapes to the process, nothing written to the console.
 */
async function runAllAndCompare(only?: (n: string) => boolean): Promise<void> {
  const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m),
  );
  const { escaped } = await watchProcess(async () => {
    for (let round = 0; round < 2; round++) {
      for (const [name, fn] of Object.entries(wl)) {
        if (only && !only(name)) continue;
        expect(await outcome(fn), name).toEqual(baseline.get(name));
      }
    }
  });
  expect(escaped).toEqual([]);
  for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
}

const boom = (what: string) => () => {
  throw new Error(`injected ${what} failure`);
};

/** A tracer provider whose tracers throw from every method; counts the calls. */
function throwingTracerProvider() {
  const calls = { n: 0 };
  const fail = () => {
    calls.n++;
    throw new Error('injected tracer failure');
  };
  return {
    calls,
    provider: { getTracer: () => ({ startSpan: fail, startActiveSpan: fail }) },
  };
}

/** A tracer provider whose spans throw from every method (start works, everything else fails). */
function throwingSpanProvider() {
  const calls = { n: 0 };
  const span: any = new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === 'then') return undefined;
        return () => {
          calls.n++;
          throw new Error(`injected span.${String(prop)} failure`);
        };
      },
    },
  );
  const tracer = {
    startSpan: () => span,
    startActiveSpan: (_name: string, ...rest: any[]) => rest[rest.length - 1](span),
  };
  return { calls, provider: { getTracer: () => tracer } };
}

function throwingMeterProvider(level: 'meter' | 'instrument') {
  const instrument = new Proxy(
    {},
    { get: (_t, prop) => (prop === 'then' ? undefined : boom(`instrument.${String(prop)}`)) },
  );
  const meter = new Proxy(
    {},
    {
      get: (_t, prop) =>
        prop === 'then'
          ? undefined
          : level === 'meter'
            ? boom(`meter.${String(prop)}`)
            : () => instrument,
    },
  );
  return { getMeter: () => meter };
}

describe('a broken tracer', () => {
  it('tracer methods throw: same results, errors in diag only, bounded attempts', async () => {
    log = recordDiag();
    const { provider, calls } = throwingTracerProvider();
    useTracerProvider(provider);
    try {
      await runAllAndCompare();
    } finally {
      restoreProviders();
    }
    expect(log.errors().length).toBeGreaterThan(0);
    expect(log.errors().every((l) => l.startsWith('genai-otel: '))).toBe(true);
    // No retry loops: a handful of span attempts per call at most (5 workloads x 2 rounds).
    expect(calls.n).toBeGreaterThan(0);
    expect(calls.n).toBeLessThanOrEqual(10 * 20);
  });

  it('every span method throws (LangChain, LlamaIndex): same results', async () => {
    log = recordDiag();
    const { provider, calls } = throwingSpanProvider();
    useTracerProvider(provider);
    try {
      await runAllAndCompare((n) => !n.startsWith('anthropic'));
    } finally {
      restoreProviders();
    }
    expect(calls.n).toBeGreaterThan(0);
    expect(calls.n).toBeLessThanOrEqual(10 * 400);
  });

  // The SDK's own tracing code calls the proxy span's isRecording()/spanContext()/setAttribute()
  // inside messages.create(): those forwards must be guarded.
  it('every span method throws (Anthropic): same results', async () => {
    log = recordDiag();
    const { provider } = throwingSpanProvider();
    useTracerProvider(provider);
    try {
      await runAllAndCompare((n) => n.startsWith('anthropic'));
    } finally {
      restoreProviders();
    }
  });
});

describe('a broken meter', () => {
  for (const level of ['meter', 'instrument'] as const) {
    it(`${level} methods throw: same results, spans still recorded`, async () => {
      log = recordDiag();
      useMeterProvider(throwingMeterProvider(level));
      w.t.reset();
      w.tracker.reset();
      try {
        await runAllAndCompare();
      } finally {
        restoreProviders();
      }
      // Tracing is independent of metrics: every workload still produced its spans.
      const names = new Set(w.t.spans().map((s: any) => s.name));
      for (const n of ['chat FakeListChatModel', 'query', 'chat claude-test'])
        expect(names).toContain(n);
      expect(w.tracker.open()).toEqual([]);
    });
  }
});

describe('a throwing diag logger', () => {
  it('with tracer and meter failing too, the calls are unaffected', async () => {
    const thrower = {
      error: boom('diag.error'),
      warn: boom('diag.warn'),
      info: boom('diag.info'),
      debug: boom('diag.debug'),
      verbose: boom('diag.verbose'),
    };
    diag.setLogger(thrower, { logLevel: 0 as any, suppressOverrideMessage: true });
    useTracerProvider(throwingTracerProvider().provider);
    useMeterProvider(throwingMeterProvider('instrument'));
    try {
      await runAllAndCompare();
    } finally {
      restoreProviders();
      diag.disable();
    }
  });
});

describe('a broken exporter', () => {
  async function withExporter(processor: any, after?: (p: any) => Promise<void>) {
    const tracker = new SpanTracker();
    const provider = createTracerProvider({ spanProcessors: [tracker, processor] });
    log = recordDiag();
    useTracerProvider(provider);
    try {
      await runAllAndCompare();
      // Every span our code started has ended, whatever the exporter did.
      expect(tracker.started).toBeGreaterThan(10);
      expect(tracker.open()).toEqual([]);
      await after?.(provider);
    } finally {
      restoreProviders();
    }
    return { tracker, provider };
  }

  const throwing = { export: boom('exporter.export'), shutdown: async () => {} };
  const failing = {
    export: (_spans: unknown, done: (r: any) => void) =>
      done({ code: 1, error: new Error('injected export failure') }),
    shutdown: async () => {},
  };
  const hanging = { export: () => {}, shutdown: async () => {}, forceFlush: async () => {} };

  it('export() throws (simple processor)', async () => {
    await withExporter(simpleProcessor(throwing));
  });

  it('export() throws (batch processor): flush settles', async () => {
    await withExporter(batchProcessor(throwing, { scheduledDelayMillis: 5 }), async (p) => {
      await p.forceFlush().catch(() => undefined);
    });
  });

  it('export() reports failure (batch processor)', async () => {
    await withExporter(batchProcessor(failing, { scheduledDelayMillis: 5 }), async (p) => {
      await p.forceFlush().catch(() => undefined);
    });
  });

  it('export() never calls back: calls do not wait for it (simple processor)', async () => {
    // A simple processor would wait for the hung export in forceFlush(): never flush it.
    await withExporter(simpleProcessor(hanging));
  });

  it('export() never calls back: the batch processor times out, flush settles', async () => {
    await withExporter(
      batchProcessor(hanging, { scheduledDelayMillis: 5, exportTimeoutMillis: 50 }),
      async (p) => {
        await p.forceFlush().catch(() => undefined);
      },
    );
  });
});

describe('an unreachable backend (OTLP/HTTP)', () => {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

  it('a closed port on 127.0.0.1: calls unaffected, flush settles', async () => {
    // Find a free port, then close it: connections are refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as any).port;
        s.close(() => resolve(p));
      });
    });
    const exporter = new OTLPTraceExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      timeoutMillis: 500,
    });
    const tracker = new SpanTracker();
    const provider = createTracerProvider({
      spanProcessors: [tracker, batchProcessor(exporter, { scheduledDelayMillis: 5 })],
    });
    useTracerProvider(provider);
    try {
      await runAllAndCompare();
      expect(tracker.open()).toEqual([]);
      await provider.forceFlush().catch(() => undefined);
    } finally {
      restoreProviders();
      await provider.shutdown().catch(() => undefined);
    }
  });

  it('a backend that resets every connection: bounded retries', async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as any).port;
    const exporter = new OTLPTraceExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      timeoutMillis: 1000,
    });
    const tracker = new SpanTracker();
    const provider = createTracerProvider({
      spanProcessors: [tracker, batchProcessor(exporter, { scheduledDelayMillis: 5 })],
    });
    useTracerProvider(provider);
    try {
      await runAllAndCompare();
      await provider.forceFlush().catch(() => undefined);
      expect(connections).toBeGreaterThan(0);
      // Each batch is tried a bounded number of times (at most one batch per span here).
      expect(connections).toBeLessThanOrEqual(tracker.ended * 6);
      await provider.shutdown().catch(() => undefined);
      const after = connections;
      // Once shut down, nothing keeps retrying in the background.
      await new Promise((r) => setTimeout(r, 300));
      expect(connections).toBe(after);
    } finally {
      restoreProviders();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
