/**
 * An application that only loads a sub-entry (`llamaindex/engines`, `llamaindex/agent`) and
 * never the main `llamaindex` entry: the require hook patches those entry files too.
 */
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { ORIGINAL } from '../src/patcher.js';
import { createHarness } from './setup.js';

const require = createRequire(import.meta.url);
const h = createHarness();

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

const isOurs = (fn: unknown) => typeof fn === 'function' && (fn as any)[ORIGINAL] !== undefined;

describe('sub-entries loaded on their own', () => {
  it('llamaindex/engines: query engines and chat engines are patched', () => {
    const engines = require('llamaindex/engines');
    expect(require.cache[require.resolve('llamaindex')]).toBeUndefined();
    expect(isOurs(engines.RetrieverQueryEngine.prototype._query)).toBe(true);
    expect(isOurs(engines.ContextChatEngine.prototype.chat)).toBe(true);
    expect(isOurs(engines.SimpleChatEngine.prototype.chat)).toBe(true);
  });

  it('llamaindex/agent: agent runners are patched', () => {
    const agent = require('llamaindex/agent');
    expect(isOurs(agent.AgentRunner.prototype.chat)).toBe(true);
    expect(isOurs(agent.AgentRunner.prototype.getTools)).toBe(true);
  });
});
