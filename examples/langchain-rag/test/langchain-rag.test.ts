/**
 * Runs the example as a child process (as `pnpm start` does), with the console tree and an
 * OTLP export to a local receiver, and checks the shape of both traces (not their timings).
 */
import { fileURLToPath } from 'node:url';
import {
  consoleTrees,
  type ReceivedSpan,
  runExample as sharedRunExample,
  startOtlpReceiver,
} from '@genai-otel/test-utils';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

const runExample = (env: Record<string, string>) =>
  sharedRunExample(dir, ['--import', './src/telemetry.mjs', 'src/main.mjs'], env);

const trees = consoleTrees;

function ancestors(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  let cur: ReceivedSpan | undefined = span;
  while (cur?.parentSpanId) {
    cur = spans.find((s) => s.spanId === cur!.parentSpanId);
    if (cur) out.push(cur);
  }
  return out;
}

describe('example: langchain-rag', () => {
  it('traces the retrieval chain and the tool-calling agent', { timeout: 90_000 }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await runExample({
        OTEL_TRACES_EXPORTER: 'console,otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('rag_chain: The Eiffel Tower is 330 metres tall.');
      expect(r.stdout).toContain('support_agent: tool said "Order A-17: shipped on Monday');

      const [rag, agent, ...rest] = trees(r.stderr);
      expect(rest).toEqual([]);
      // The chain: one root, the retriever inside the map step, the model and parser below the root.
      const ragLines = rag!.split('\n');
      expect(ragLines[0]).toBe('rag_chain');
      expect(rag).toMatch(/\n│ {2}│? *[├└]─ retrieval KeywordRetriever 2 docs\n/);
      expect(ragLines).toContain('├─ ChatPromptTemplate');
      expect(ragLines).toContain('├─ chat context-echo-1 in 46 / out 9 tokens');
      expect(ragLines.at(-1)).toBe('└─ StrOutputParser');
      // The agent: one invoke_agent root over two model turns and one tool call.
      const agentLines = agent!.split('\n');
      expect(agentLines[0]).toBe('invoke_agent support_agent');
      expect(agentLines.filter((l) => /─ chat FakeToolCallingModel$/.test(l))).toHaveLength(2);
      expect(agentLines.filter((l) => /─ execute_tool lookup_order$/.test(l))).toHaveLength(1);

      await receiver.waitForSpans(8);
      const spans = receiver.spans;
      const root = spans.find((s) => s.name === 'rag_chain')!;
      const retrieval = spans.find((s) => s.name === 'retrieval KeywordRetriever')!;
      const chat = spans.find((s) => s.name === 'chat context-echo-1')!;
      expect(ancestors(spans, retrieval)).toContain(root);
      expect(chat.parentSpanId).toBe(root.spanId);
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'context-echo-1',
        'gen_ai.usage.input_tokens': 46,
        'gen_ai.usage.output_tokens': 9,
      });
      expect(retrieval.attributes['genai_otel.retrieval.document_count']).toBe(2);
      const agentRoot = spans.find((s) => s.name === 'invoke_agent support_agent')!;
      expect(agentRoot.attributes['gen_ai.agent.name']).toBe('support_agent');
      const toolSpan = spans.find((s) => s.name === 'execute_tool lookup_order')!;
      expect(toolSpan.attributes['gen_ai.tool.call.id']).toBe('call_1');
      expect(ancestors(spans, toolSpan)).toContain(agentRoot);
      expect(toolSpan.traceId).toBe(agentRoot.traceId);
      expect(root.traceId).not.toBe(agentRoot.traceId);
    } finally {
      await receiver.close();
    }
  });
});
