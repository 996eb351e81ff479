import { createTestTelemetry } from '@genai-otel/test-utils';
import { afterAll, expect, it } from 'vitest';
import { LangChainInstrumentor } from '../src/index.js';
import { fixtures } from './fixtures.js';
import { byName, isChildOf, requireFromTest } from './helpers.js';

// LangChain is loaded BEFORE any instrumentation exists (as a bundler would inline it).
const managerModule = requireFromTest('@langchain/core/callbacks/manager');
const { BaseChatModel } = requireFromTest('@langchain/core/language_models/chat_models');
const { UsageChatModel } = fixtures(requireFromTest);

const telemetry = createTestTelemetry();
afterAll(() => telemetry.shutdown());

it('manuallyInstrument(CallbackManagerModule) instruments a LangChain loaded earlier', async () => {
  const tracer = telemetry.tracerProvider.getTracer('app');
  const model = new UsageChatModel({
    inner: () => tracer.startActiveSpan('inner-http', (s: any) => s.end()),
  });
  await model.invoke('before');
  expect(telemetry.spans().filter((s: any) => s.name.startsWith('chat'))).toHaveLength(0);

  const lc = new LangChainInstrumentor();
  lc.setTracerProvider(telemetry.tracerProvider);
  lc.setMeterProvider(telemetry.meterProvider);
  lc.manuallyInstrument(managerModule);
  lc.manuallyInstrument({ BaseChatModel });
  lc.manuallyInstrument(managerModule); // idempotent
  lc.instrument();
  telemetry.reset();

  await model.invoke('after');
  const spans = telemetry.spans();
  const chat = byName(spans, 'chat fake-model-1');
  expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(10);
  expect(isChildOf(byName(spans, 'inner-http'), chat)).toBe(true);
  const m = managerModule.CallbackManager.configure(undefined);
  expect(m.handlers).toHaveLength(1);

  lc.uninstrument();
  expect(managerModule.CallbackManager.configure(undefined)).toBeUndefined();
  telemetry.reset();
  await model.invoke('uninstrumented');
  expect(telemetry.spans().filter((s: any) => s.name.startsWith('chat'))).toHaveLength(0);
});

it('manuallyInstrument never throws on junk', () => {
  const lc = new LangChainInstrumentor({ enabled: false });
  for (const junk of [
    null,
    undefined,
    42,
    'x',
    {},
    { CallbackManager: 5 },
    { CallbackManager: {} },
  ])
    expect(() => lc.manuallyInstrument(junk)).not.toThrow();
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('boom');
      },
    },
  );
  expect(() => lc.manuallyInstrument(hostile)).not.toThrow();
});
