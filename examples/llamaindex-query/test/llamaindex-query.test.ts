/**
 * Runs the example as a child process (as `pnpm start` does) and checks the shape of each
 * trace (not its timings), plus the exported GenAI attributes over OTLP.
 */
import { fileURLToPath } from 'node:url';
import {
  consoleTrees,
  runExample as sharedRunExample,
  startOtlpReceiver,
} from '@genai-otel/test-utils';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

const runExample = (env: Record<string, string>) =>
  sharedRunExample(dir, ['--import', './src/telemetry.mjs', 'src/main.mjs'], env);

const trees = consoleTrees;

describe('example: llamaindex-query', () => {
  it('traces indexing, retrieval, and plain and streaming queries', {
    timeout: 90_000,
  }, async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await runExample({
        OTEL_TRACES_EXPORTER: 'console,otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('retrieve: 2 nodes, best = "OpenTelemetry: an observab..."');
      expect(r.stdout).toContain('query: a data framework that connects LLMs to your data.');
      expect(r.stdout).toContain('query (stream): names for model calls, tokens and tools.');

      expect(trees(r.stderr)).toEqual([
        ['build_index', '└─ embeddings local-embed-1'].join('\n'),
        ['retrieval VectorIndexRetriever 2 docs', '└─ embeddings local-embed-1'].join('\n'),
        [
          'query',
          '├─ retrieval VectorIndexRetriever 2 docs',
          '│  └─ embeddings local-embed-1',
          '└─ synthesize',
          '   └─ chat local-llm-1 in 79 / out 13 tokens',
        ].join('\n'),
        [
          'query',
          '├─ retrieval VectorIndexRetriever 2 docs',
          '│  └─ embeddings local-embed-1',
          '└─ synthesize',
          '   └─ chat local-llm-1 in 84 / out 10 tokens first chunk T',
        ].join('\n'),
      ]);

      const spans = await receiver.waitForSpans(14);
      const chats = spans.filter((s) => s.name === 'chat local-llm-1');
      expect(chats).toHaveLength(2);
      for (const chat of chats) {
        expect(chat.attributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'local-llm-1',
        });
      }
      const streamed = chats.find((c) => c.attributes['gen_ai.request.stream'] === true)!;
      expect(streamed.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
      expect(streamed.attributes['gen_ai.usage.output_tokens']).toBe(10);
    } finally {
      await receiver.close();
    }
  });
});
