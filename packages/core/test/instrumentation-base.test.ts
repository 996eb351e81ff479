import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTelemetry } from '@genai-otel/test-utils';
import { InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GenAIInstrumentationBase, type GenAIInstrumentationConfig } from '../src/index.js';

/** A tiny provider SDK, written to disk so the real require hook can patch it. */
const FAKE_SDK = `
class Client {
  call(prompt) {
    if (prompt === 'fail') throw new TypeError('boom');
    return { text: 'echo ' + prompt, usage: { input: 3, output: 2 } };
  }
}
module.exports = { Client };
`;

class FakeInstrumentation extends GenAIInstrumentationBase {
  constructor(config: GenAIInstrumentationConfig = {}) {
    super('@genai-otel/instrumentation-fake', '1.0.0', config, 'fake');
  }

  protected override init() {
    return new InstrumentationNodeModuleDefinition(
      'fake-llm-sdk',
      ['>=1 <2'],
      (exports: any) => {
        this.patch(exports);
        return exports;
      },
      (exports: any) => {
        this.unpatch(exports);
        return exports;
      },
    );
  }

  protected override patchModuleManually(moduleExports: unknown): void {
    this.patch(moduleExports);
  }

  protected override unpatchModuleManually(moduleExports: unknown): void {
    this.unpatch(moduleExports);
  }

  private patch(m: any): void {
    const proto = m.Client.prototype;
    if (isWrapped(proto.call)) return;
    const instrumentation = this;
    this._wrap(proto, 'call', (original: (prompt: string) => any) => {
      return function patched(this: unknown, prompt: string) {
        const span = instrumentation.telemetry.startSpan({
          kind: 'LLM',
          name: 'fake-1',
          provider: 'fake',
        });
        span.setInputMessages([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]);
        try {
          const result = span.with(() => original.call(this, prompt));
          span.setUsage({ inputTokens: result.usage.input, outputTokens: result.usage.output });
          return result;
        } catch (err) {
          span.recordError(err);
          throw err;
        } finally {
          span.end();
        }
      };
    });
  }

  private unpatch(m: any): void {
    if (isWrapped(m.Client.prototype.call)) this._unwrap(m.Client.prototype, 'call');
  }
}

describe('GenAIInstrumentationBase', () => {
  let dir: string;
  let requireFromDir: NodeRequire;
  let t: ReturnType<typeof createTestTelemetry>;
  const instances: FakeInstrumentation[] = [];

  const make = (config?: GenAIInstrumentationConfig) => {
    const inst = new FakeInstrumentation(config);
    inst.setTracerProvider(t.tracerProvider);
    inst.setMeterProvider(t.meterProvider);
    instances.push(inst);
    return inst;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'genai-otel-base-'));
    const pkg = join(dir, 'node_modules', 'fake-llm-sdk');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'fake-llm-sdk', version: '1.2.3', main: 'index.js' }),
    );
    writeFileSync(join(pkg, 'index.js'), FAKE_SDK);
    requireFromDir = createRequire(join(dir, 'index.js'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    for (const i of instances.splice(0)) i.uninstrument();
    for (const key of Object.keys(requireFromDir.cache))
      if (key.includes('fake-llm-sdk')) delete requireFromDir.cache[key];
    await t?.shutdown();
  });

  it('manuallyInstrument patches an already-loaded module; uninstrument removes it', () => {
    t = createTestTelemetry();
    const mod = {
      Client: class {
        call(p: string) {
          return { text: p, usage: { input: 1, output: 1 } };
        }
      },
    };
    const inst = make({ enabled: false });
    inst.manuallyInstrument(mod).manuallyInstrument(mod); // twice: still one wrapper
    const result = new mod.Client().call('hi');
    expect(result.text).toBe('hi');
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0].name).toBe('chat fake-1');
    expect(t.spans()[0].attributes['genai_otel.framework']).toBe('fake');
    inst.uninstrument();
    expect(isWrapped(mod.Client.prototype.call)).toBe(false);
    new mod.Client().call('again');
    expect(t.spans()).toHaveLength(1);
  });

  it('manuallyInstrument never throws on garbage', () => {
    t = createTestTelemetry();
    const inst = make({ enabled: false });
    for (const bad of [undefined, null, 42, {}, { Client: null }]) {
      expect(() => inst.manuallyInstrument(bad)).not.toThrow();
    }
  });

  it('patches through the require hook; instrument() twice is idempotent; uninstrument() unpatches', () => {
    t = createTestTelemetry();
    const inst = make();
    inst.instrument().instrument();
    const { Client } = requireFromDir('fake-llm-sdk');
    expect(isWrapped(Client.prototype.call)).toBe(true);
    const out = new Client().call('x');
    expect(out).toEqual({ text: 'echo x', usage: { input: 3, output: 2 } });
    expect(t.spans()).toHaveLength(1); // one wrapper, not two
    expect(t.spans()[0].attributes['gen_ai.usage.input_tokens']).toBe(3);

    // The user's error reaches the user unchanged; the span records it.
    expect(() => new Client().call('fail')).toThrow(TypeError);
    expect(t.spans()[1].attributes['error.type']).toBe('TypeError');

    inst.uninstrument().uninstrument();
    expect(isWrapped(Client.prototype.call)).toBe(false);
    new Client().call('y');
    expect(t.spans()).toHaveLength(2);

    inst.instrument();
    expect(isWrapped(Client.prototype.call)).toBe(true);
    new Client().call('z');
    expect(t.spans()).toHaveLength(3);
  });

  it('reads config live: setConfig({ captureContent }) applies to the next call', () => {
    t = createTestTelemetry();
    const inst = make({ enabled: false });
    const mod = {
      Client: class {
        call(p: string) {
          return { text: p, usage: { input: 1, output: 1 } };
        }
      },
    };
    inst.manuallyInstrument(mod);
    new mod.Client().call('private');
    inst.setConfig({ captureContent: true });
    new mod.Client().call('shared');
    const [off, on] = t.spans();
    expect(off.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(JSON.parse(on.attributes['gen_ai.input.messages'])[0].parts[0].content).toBe('shared');
  });

  it('exposes one telemetry instance bound to the instrumentation providers', async () => {
    t = createTestTelemetry();
    const inst = make({ enabled: false });
    expect(inst.telemetry).toBe(inst.telemetry);
    expect(inst.telemetry.framework).toBe('fake');
    inst.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 5 }).end();
    const m = await t.metricsByName();
    expect(m.get('gen_ai.client.token.usage').dataPoints[0].value.sum).toBe(5);
  });

  it('uses the tracerProvider and meterProvider given in the config instead of the globals', async () => {
    t = createTestTelemetry();
    const inst = new FakeInstrumentation({
      enabled: false,
      tracerProvider: t.tracerProvider,
      meterProvider: t.meterProvider,
    });
    instances.push(inst);
    inst.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ outputTokens: 4 }).end();
    expect(t.spans().map((s: any) => s.name)).toEqual(['chat m']);
    const m = await t.metricsByName();
    expect(m.get('gen_ai.client.token.usage').dataPoints[0].value.sum).toBe(4);
  });
});
