import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HANDLER_NAME } from '../src/index.js';
import { fixtures } from './fixtures.js';
import { byName, setup } from './helpers.js';

const { telemetry, instrumentation, require } = setup();
const { UsageChatModel } = fixtures(require);
const { CallbackManager } = require('@langchain/core/callbacks/manager');
const { BaseCallbackHandler } = require('@langchain/core/callbacks/base');
const { ChatPromptTemplate } = require('@langchain/core/prompts');
const { StringOutputParser } = require('@langchain/core/output_parsers');
const { Runnable } = require('@langchain/core/runnables');
const { BaseChatModel } = require('@langchain/core/language_models/chat_models');
const lcContext = require('@langchain/core/context');

const WRAPPED_BY = Symbol.for('genai-otel.langchain.wrappedBy');
const ORIGINAL = Symbol.for('genai-otel.langchain.original');

beforeEach(() => telemetry.reset());
afterAll(() => telemetry.shutdown());

/** A user callback handler recording (event, runId, parentRunId). */
function recorder(name = 'user_recorder') {
  const events: [string, string, string | undefined][] = [];
  class Recorder extends BaseCallbackHandler {
    name = name;
    awaitHandlers = true;
    handleChainStart(_c: unknown, _i: unknown, runId: string, parentRunId?: string) {
      events.push(['chainStart', runId, parentRunId]);
    }
    handleChainEnd(_o: unknown, runId: string, parentRunId?: string) {
      events.push(['chainEnd', runId, parentRunId]);
    }
    handleChatModelStart(_l: unknown, _m: unknown, runId: string, parentRunId?: string) {
      events.push(['chatStart', runId, parentRunId]);
    }
    handleLLMEnd(_o: unknown, runId: string, parentRunId?: string) {
      events.push(['llmEnd', runId, parentRunId]);
    }
  }
  return { handler: new Recorder(), events };
}

const chain = () =>
  ChatPromptTemplate.fromMessages([['human', '{q}']])
    .pipe(new UsageChatModel())
    .pipe(new StringOutputParser());

function expectSameRunIds(events: [string, string, string | undefined][]) {
  const starts = events.filter((e) => e[0].endsWith('Start')).map((e) => e[1]);
  const ends = events.filter((e) => e[0].endsWith('End')).map((e) => e[1]);
  expect(starts).toHaveLength(4);
  expect(new Set(ends)).toEqual(new Set(starts));
  const spanRunIds = telemetry.spans().map((s: any) => s.attributes['genai_otel.langchain.run_id']);
  expect(new Set(spanRunIds)).toEqual(new Set(starts));
}

describe("the user's callbacks keep working", () => {
  it('callbacks as an array', async () => {
    const { handler, events } = recorder();
    await chain().invoke({ q: 'x' }, { callbacks: [handler] });
    expectSameRunIds(events);
  });

  it('callbacks as a CallbackManager (not mutated by us)', async () => {
    const { handler, events } = recorder();
    const manager = new CallbackManager();
    manager.addHandler(handler, true);
    await chain().invoke({ q: 'x' }, { callbacks: manager });
    expectSameRunIds(events);
    expect(manager.handlers.map((h: any) => h.name)).toEqual(['user_recorder']);
  });

  it('callbacks as a plain object of methods', async () => {
    const runIds: string[] = [];
    await chain().invoke(
      { q: 'x' },
      {
        callbacks: [
          { handleChainStart: (_c: unknown, _i: unknown, id: string) => runIds.push(id) },
        ],
      },
    );
    expect(runIds).toHaveLength(3);
  });

  it('handlers set globally through a configure hook', async () => {
    const { handler, events } = recorder('global_recorder');
    lcContext.registerConfigureHook({ contextVar: 'genai_otel_test_handler' });
    lcContext.setContextVariable('genai_otel_test_handler', handler);
    await chain().invoke({ q: 'x' });
    expectSameRunIds(events);
    lcContext.setContextVariable('genai_otel_test_handler', undefined);
  });
});

describe('instrument / uninstrument', () => {
  it('instrument() twice injects one handler; child managers carry exactly one', () => {
    instrumentation.instrument();
    instrumentation.instrument();
    const { handler } = recorder();
    const m = CallbackManager.configure([handler]);
    expect(m.handlers.filter((h: any) => h.name === HANDLER_NAME)).toHaveLength(1);
    const child = CallbackManager.configure(m.copy());
    expect(child.handlers.filter((h: any) => h.name === HANDLER_NAME)).toHaveLength(1);
    const none = CallbackManager.configure(undefined, undefined, ['t'], undefined, { k: 1 });
    expect(none.handlers.filter((h: any) => h.name === HANDLER_NAME)).toHaveLength(1);
    expect(none.metadata).toMatchObject({ k: 1 });
    expect(none.tags).toContain('t');
  });

  it('uninstrument() restores the original members exactly and stops spans; instrument() resumes', async () => {
    const patched: [object, string][] = [
      [CallbackManager, '_configureSync'],
      [Runnable.prototype, '_callWithConfig'],
      [Runnable.prototype, 'stream'],
      [BaseChatModel.prototype, 'generate'],
      [BaseChatModel.prototype, '_streamIterator'],
      [BaseChatModel.prototype, 'streamEvents'],
    ];
    const originals = patched.map(([t, k]) => {
      const fn = (t as any)[k];
      expect(fn[WRAPPED_BY]).toBeDefined();
      return fn[ORIGINAL];
    });
    instrumentation.uninstrument();
    try {
      patched.forEach(([t, k], i) => {
        const d = Object.getOwnPropertyDescriptor(t, k)!;
        expect(d.value).toBe(originals[i]);
        expect(d.value[WRAPPED_BY]).toBeUndefined();
        expect(d.enumerable).toBe(false);
        expect(d.writable).toBe(true);
        expect(d.configurable).toBe(true);
      });
      expect(CallbackManager.configure(undefined)).toBeUndefined();
      const { handler, events } = recorder();
      expect(await chain().invoke({ q: 'x' }, { callbacks: [handler] })).toBe('the answer is 42');
      expect(events).toHaveLength(8);
      expect(telemetry.spans()).toHaveLength(0);
      expect(instrumentation.openRuns).toBe(0);
    } finally {
      instrumentation.instrument();
    }
    await chain().invoke({ q: 'x' });
    expect(byName(telemetry.spans(), 'chat fake-model-1')).toBeDefined();
  });
});
