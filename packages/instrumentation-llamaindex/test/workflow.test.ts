/**
 * Workflow agents (`agent()` from @llamaindex/workflow, re-exported by llamaindex 0.10/0.11;
 * 0.12 no longer re-exports them). The run is driven by the caller, awaited or iterated.
 */
import { parentId, renderTree } from '@genai-otel/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Fakes, loadLlamaIndex, makeFakes } from './fixtures.js';
import { byName, createHarness, one, spanId } from './setup.js';

const h = createHarness();
let li: any;
let fakes: Fakes;
let add: any;

beforeAll(() => {
  li = loadLlamaIndex('llamaindex-0.10');
  fakes = makeFakes(li);
  add = li.FunctionTool.from(({ a, b }: { a: number; b: number }) => `${a + b}`, {
    name: 'add',
    description: 'Adds two numbers',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  });
});

beforeEach(() => {
  h.t.reset();
  h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: false });
});

afterAll(async () => {
  h.instrumentor.uninstrument();
  await h.t.shutdown();
});

async function inCaller<T>(fn: () => Promise<T>): Promise<T> {
  return h.t.tracerProvider.getTracer('caller').startActiveSpan('caller', async (span: any) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

describe('workflow agents (llamaindex 0.10.1)', () => {
  it('awaited run: invoke_agent over the LLM calls and the tool call', async () => {
    h.instrumentor.setConfig({ ...h.instrumentor.getConfig(), captureContent: true });
    const workflow = li.agent({ llm: fakes.llm, tools: [add] });
    const result: any = await inCaller(() => workflow.run('What is 2 + 3?'));
    expect(result.data.result).toContain('The tool said 5');
    const spans = h.t.spans();
    expect(renderTree(spans)).toBe(
      [
        'caller',
        '  invoke_agent AgentWorkflow',
        '    chat fake-llm-1',
        '    execute_tool add',
        '    chat fake-llm-1',
      ].join('\n'),
    );
    const agent = one(spans, 'invoke_agent AgentWorkflow');
    expect(agent.attributes['gen_ai.agent.name']).toBe('AgentWorkflow');
    expect(agent.attributes['genai_otel.input']).toBe('What is 2 + 3?');
    expect(agent.attributes['genai_otel.output']).toContain('The tool said 5');
  });

  it('iterated run: the span ends with the event stream, children nest', async () => {
    const workflow = li.agent({ llm: fakes.llm, tools: [add] });
    await inCaller(async () => {
      const run = workflow.run('What is 2 + 3?');
      let events = 0;
      for await (const _event of run) events++;
      expect(events).toBeGreaterThan(2);
    });
    const spans = h.t.spans();
    const agent = one(spans, 'invoke_agent AgentWorkflow');
    for (const s of [...byName(spans, 'chat fake-llm-1'), one(spans, 'execute_tool add')]) {
      expect(parentId(s)).toBe(spanId(agent));
    }
  });

  it('iteration stopped early ends the span as abandoned', async () => {
    const workflow = li.agent({ llm: fakes.llm, tools: [add] });
    await inCaller(async () => {
      for await (const _event of workflow.run('What is 2 + 3?')) break;
    });
    expect(
      one(h.t.spans(), 'invoke_agent AgentWorkflow').attributes['genai_otel.stream.abandoned'],
    ).toBe(true);
  });
});
