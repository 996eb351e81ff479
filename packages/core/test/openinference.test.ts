import { afterEach, describe, expect, it } from 'vitest';
import {
  ENV_SEMCONV,
  OPENINFERENCE_MAPPING,
  OPENINFERENCE_RENAMES,
  resolveSemconv,
  withGenAIContext,
} from '../src/index.js';
import { type Harness, harness, withEnv } from './_helpers.js';

const OI = { semconv: ['gen_ai', 'openinference'] as ('gen_ai' | 'openinference')[] };
const oiKeys = (attrs: Record<string, unknown>) =>
  Object.keys(attrs).filter((k) => !k.startsWith('gen_ai.') && !k.startsWith('genai_otel.'));

describe('vocabulary switch', () => {
  it('GenAI only by default; openinference via config or env', () => {
    withEnv({ [ENV_SEMCONV]: undefined }, () => {
      expect(resolveSemconv({}).openInference).toBe(false);
      expect(resolveSemconv(OI).openInference).toBe(true);
    });
    withEnv({ [ENV_SEMCONV]: 'gen_ai, OpenInference' }, () => {
      expect(resolveSemconv({}).openInference).toBe(true);
      expect(resolveSemconv({ semconv: ['gen_ai'] }).openInference).toBe(false);
    });
    expect(resolveSemconv({ semconv: 'gen_ai,openinference' as any }).openInference).toBe(true);
  });
});

describe('OpenInference attributes', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.t.shutdown();
    h = undefined;
  });

  it('are absent unless enabled', () => {
    h = harness();
    withEnv({ [ENV_SEMCONV]: undefined }, () => {
      h!.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 1 }).end();
    });
    expect(oiKeys(h.t.spans()[0].attributes)).toEqual([]);
  });

  it('LLM spans: kind, provider/system mapping, models, parameters, tokens (content off)', () => {
    h = harness(OI);
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'gpt-x', provider: 'azure.ai.openai' })
      .setRequest({ temperature: 0.3, maxTokens: 50, stopSequences: ['END'] })
      .setResponse({ model: 'gpt-x-0613', finishReasons: ['length'] })
      .setUsage({
        inputTokens: 100,
        outputTokens: 20,
        cacheReadInputTokens: 30,
        cacheCreationInputTokens: 10,
        reasoningOutputTokens: 5,
      })
      .setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'hidden' }] }])
      .end();
    const a = h.t.spans()[0].attributes;
    expect(a).toMatchObject({
      'openinference.span.kind': 'LLM',
      'llm.provider': 'azure',
      'llm.system': 'openai',
      'llm.model_name': 'gpt-x-0613',
      'llm.request.model_name': 'gpt-x',
      'llm.response.model_name': 'gpt-x-0613',
      'llm.token_count.prompt': 100,
      'llm.token_count.completion': 20,
      'llm.token_count.total': 120,
      'llm.token_count.prompt_details.cache_read': 30,
      'llm.token_count.prompt_details.cache_write': 10,
      'llm.token_count.completion_details.reasoning': 5,
      'llm.finish_reason': 'length',
    });
    expect(JSON.parse(a['llm.invocation_parameters'])).toEqual({
      temperature: 0.3,
      max_tokens: 50,
      stop_sequences: ['END'],
    });
    // Content stays off in both vocabularies.
    expect(oiKeys(a).filter((k) => k.includes('messages') || k.startsWith('input.'))).toEqual([]);
  });

  it('maps provider names to the OpenInference well-known values', () => {
    h = harness(OI);
    const cases: [string, string, string][] = [
      ['anthropic', 'anthropic', 'anthropic'],
      ['aws.bedrock', 'aws', 'amazon'],
      ['gcp.vertex_ai', 'google', 'vertexai'],
      ['mistral_ai', 'mistralai', 'mistralai'],
      ['x_ai', 'xai', 'xai'],
      ['someone.else', 'someone.else', 'someone.else'],
    ];
    for (const [provider] of cases) h.telemetry.startSpan({ kind: 'LLM', provider }).end();
    h.t.spans().forEach((s: any, i: number) => {
      expect(s.attributes['llm.provider']).toBe(cases[i]![1]);
      expect(s.attributes['llm.system']).toBe(cases[i]![2]);
    });
  });

  it('flattens messages (system first, tool calls, tool results, reasoning) with content on', () => {
    h = harness({ ...OI, captureContent: true });
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'claude', provider: 'anthropic' })
      .setSystemInstructions('Be brief.')
      .setToolDefinitions([
        {
          type: 'function',
          name: 'weather',
          description: 'Get weather',
          parameters: { type: 'object' },
        },
      ])
      .setInputMessages([
        { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          parts: [
            { type: 'tool_call', id: 'call_1', name: 'weather', arguments: { city: 'Paris' } },
          ],
        },
        {
          role: 'tool',
          parts: [{ type: 'tool_call_response', id: 'call_1', response: { temp: 21 } }],
        },
      ])
      .setOutputMessages([
        {
          role: 'assistant',
          parts: [
            { type: 'reasoning', content: 'It is warm.' },
            { type: 'text', content: 'It is 21C.' },
          ],
          finish_reason: 'stop',
        },
      ])
      .end();
    const a = h.t.spans()[0].attributes;
    expect(a).toMatchObject({
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': 'Be brief.',
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.content': 'Weather in Paris?',
      'llm.input_messages.2.message.role': 'assistant',
      'llm.input_messages.2.message.tool_calls.0.tool_call.id': 'call_1',
      'llm.input_messages.2.message.tool_calls.0.tool_call.function.name': 'weather',
      'llm.input_messages.3.message.role': 'tool',
      'llm.input_messages.3.message.tool_call_id': 'call_1',
      'llm.input_messages.3.message.content': '{"temp":21}',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': 'It is 21C.',
      'llm.output_messages.0.message.contents.0.message_content.type': 'reasoning',
      'llm.output_messages.0.message.contents.0.message_content.text': 'It is warm.',
      'llm.output_messages.0.message.contents.1.message_content.type': 'text',
      'llm.tools.0.tool.name': 'weather',
      'llm.tools.0.tool.description': 'Get weather',
      'input.mime_type': 'application/json',
      'output.mime_type': 'application/json',
    });
    expect(
      JSON.parse(a['llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments']),
    ).toEqual({ city: 'Paris' });
    expect(JSON.parse(a['llm.tools.0.tool.json_schema']).parameters).toEqual({ type: 'object' });
    expect(JSON.parse(a['input.value'])[0].role).toBe('user');
    expect(JSON.parse(a['output.value'])[0].finish_reason).toBe('stop');
  });

  it('snapshots content when set: later mutation by the app changes nothing', () => {
    h = harness({ ...OI, captureContent: 'SPAN_AND_EVENT' });
    const messages = [{ role: 'user', parts: [{ type: 'text' as const, content: 'original' }] }];
    const s = h.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setInputMessages(messages);
    messages[0]!.parts[0]!.content = 'mutated';
    messages.push({ role: 'user', parts: [{ type: 'text', content: 'appended' }] });
    s.end();
    const span = h.t.spans()[0];
    expect(span.attributes['llm.input_messages.0.message.content']).toBe('original');
    expect(span.attributes['llm.input_messages.1.message.content']).toBeUndefined();
    const event = span.events.find(
      (e: any) => e.name === 'gen_ai.client.inference.operation.details',
    );
    expect(JSON.parse(event.attributes['gen_ai.input.messages'])).toHaveLength(1);
    expect(JSON.stringify([span.attributes, span.events])).not.toContain('mutated');
  });

  it('text completions also get llm.prompts / llm.choices', () => {
    h = harness({ ...OI, captureContent: true });
    h.telemetry
      .startSpan({ kind: 'LLM', name: 'm', operation: 'text_completion' })
      .setInputMessages([{ role: 'user', parts: [{ type: 'text', content: 'def fib(n):' }] }])
      .setOutputMessages([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: ' return n' }],
          finish_reason: 'stop',
        },
      ])
      .end();
    const a = h.t.spans()[0].attributes;
    expect(a['llm.prompts.0.prompt.text']).toBe('def fib(n):');
    expect(a['llm.choices.0.completion.text']).toBe(' return n');
  });

  it('EMBEDDING, RETRIEVER and RERANKER spans', () => {
    h = harness({ ...OI, captureContent: true });
    h.telemetry
      .startSpan({ kind: 'EMBEDDING', name: 'text-embedding-3-small', provider: 'openai' })
      .setEmbeddings({ inputs: ['hello', 'world'], dimensionCount: 256 })
      .end();
    h.telemetry
      .startSpan({ kind: 'RETRIEVER', name: 'kb' })
      .setRetrieval({
        query: 'what is otel',
        documents: [
          { id: 'd1', score: 0.9, content: 'OpenTelemetry is...', metadata: { source: 'a.md' } },
          { id: 'd2', score: 0.5, content: 'Tracing is...' },
        ],
      })
      .end();
    h.telemetry
      .startSpan({ kind: 'RERANKER', name: 'rerank' })
      .setReranker({
        model: 'rerank-3',
        topK: 1,
        query: 'q',
        inputDocuments: [
          { id: 'a', content: 'A' },
          { id: 'b', content: 'B' },
        ],
        outputDocuments: [{ id: 'b', score: 0.8, content: 'B' }],
      })
      .end();
    const [emb, ret, rr] = h.t.spans().map((s: any) => s.attributes);
    expect(emb).toMatchObject({
      'openinference.span.kind': 'EMBEDDING',
      'embedding.model_name': 'text-embedding-3-small',
      'embedding.embeddings.0.embedding.text': 'hello',
      'embedding.embeddings.1.embedding.text': 'world',
    });
    expect(JSON.parse(emb['embedding.invocation_parameters'])).toEqual({ dimensions: 256 });
    expect(emb['llm.system']).toBeUndefined(); // not used on embedding spans
    expect(emb['llm.model_name']).toBeUndefined();
    expect(ret).toMatchObject({
      'openinference.span.kind': 'RETRIEVER',
      'input.value': 'what is otel',
      'input.mime_type': 'text/plain',
      'retrieval.documents.0.document.id': 'd1',
      'retrieval.documents.0.document.score': 0.9,
      'retrieval.documents.0.document.content': 'OpenTelemetry is...',
      'retrieval.documents.1.document.id': 'd2',
    });
    expect(JSON.parse(ret['retrieval.documents.0.document.metadata'])).toEqual({ source: 'a.md' });
    expect(rr).toMatchObject({
      'openinference.span.kind': 'RERANKER',
      'reranker.model_name': 'rerank-3',
      'reranker.top_k': 1,
      'reranker.query': 'q',
      'reranker.input_documents.0.document.id': 'a',
      'reranker.input_documents.1.document.content': 'B',
      'reranker.output_documents.0.document.id': 'b',
      'reranker.output_documents.0.document.score': 0.8,
    });
  });

  it('document ids and scores are listed without content capture, their text is not', () => {
    h = harness(OI);
    h.telemetry
      .startSpan({ kind: 'RETRIEVER', name: 'kb' })
      .setRetrieval({ query: 'secret q', documents: [{ id: 'd1', score: 0.9, content: 'secret' }] })
      .end();
    const a = h.t.spans()[0].attributes;
    expect(a['retrieval.documents.0.document.id']).toBe('d1');
    expect(a['retrieval.documents.0.document.score']).toBe(0.9);
    expect(JSON.stringify(a)).not.toContain('secret');
  });

  it('TOOL, AGENT and CHAIN spans', () => {
    h = harness({ ...OI, captureContent: true });
    h.telemetry
      .startSpan({ kind: 'TOOL', name: 'calc' })
      .setTool({
        callId: 'call_9',
        description: 'Adds numbers',
        parameters: { type: 'object', properties: { a: { type: 'number' } } },
        arguments: { a: 1 },
        result: 2,
      })
      .end();
    h.telemetry.startSpan({ kind: 'AGENT', name: 'planner' }).setInput('plan a trip').end();
    h.telemetry
      .startSpan({ kind: 'CHAIN', name: 'seq' })
      .setInput({ question: 'q' })
      .setOutput('answer')
      .end();
    const [tool, agent, chain] = h.t.spans().map((s: any) => s.attributes);
    expect(tool).toMatchObject({
      'openinference.span.kind': 'TOOL',
      'tool.name': 'calc',
      'tool.description': 'Adds numbers',
      'tool.id': 'call_9',
      'tool_call.id': 'call_9',
      'tool_call.function.name': 'calc',
      'tool_call.function.arguments': '{"a":1}',
      'input.value': '{"a":1}',
      'input.mime_type': 'application/json',
      'output.value': '2',
    });
    expect(JSON.parse(tool['tool.parameters']).properties.a.type).toBe('number');
    expect(agent).toMatchObject({
      'openinference.span.kind': 'AGENT',
      'agent.name': 'planner',
      'input.value': 'plan a trip',
      'input.mime_type': 'text/plain',
    });
    expect(chain).toMatchObject({
      'openinference.span.kind': 'CHAIN',
      'input.value': '{"question":"q"}',
      'input.mime_type': 'application/json',
      'output.value': 'answer',
      'output.mime_type': 'text/plain',
    });
  });

  it('context attributes: session, user, metadata and tags', () => {
    h = harness(OI);
    withGenAIContext(
      {
        conversationId: 'conv',
        sessionId: 'sess',
        userId: 'user',
        metadata: { tenant: 'acme', n: 1 },
        tags: ['beta', 'eu'],
      },
      () => h!.telemetry.startSpan({ kind: 'CHAIN', name: 'c' }).end(),
    );
    withGenAIContext({ conversationId: 'conv-only' }, () =>
      h!.telemetry.startSpan({ kind: 'CHAIN', name: 'd' }).end(),
    );
    const [c, d] = h.t.spans().map((s: any) => s.attributes);
    expect(c['session.id']).toBe('sess');
    expect(c['user.id']).toBe('user');
    expect(JSON.parse(c.metadata)).toEqual({ tenant: 'acme', n: 1 });
    expect(c['tag.tags']).toEqual(['beta', 'eu']);
    expect(d['session.id']).toBe('conv-only');
  });

  it('de-duplicated framework spans carry no OpenInference token counts either', () => {
    h = harness(OI);
    const fw = h.telemetry.startSpan({ kind: 'LLM', name: 'm' });
    fw.with(() =>
      h!.telemetry.startSpan({ kind: 'LLM', name: 'm' }).setUsage({ inputTokens: 4 }).end(),
    );
    fw.setUsage({ inputTokens: 4 }).end();
    const [inner, outer] = h.t.spans().map((s: any) => s.attributes);
    expect(inner['llm.token_count.prompt']).toBe(4);
    expect(outer['llm.token_count.prompt']).toBeUndefined();
    expect(outer['llm.token_count.total']).toBeUndefined();
  });

  it('the mapping table is one table: renames derive from it and name real OI attributes', () => {
    for (const [from, to] of Object.entries(OPENINFERENCE_RENAMES)) {
      expect(OPENINFERENCE_MAPPING.some((m) => m.genAI === from && m.openInference === to)).toBe(
        true,
      );
    }
    for (const row of OPENINFERENCE_MAPPING) {
      expect(row.openInference).toMatch(
        /^(openinference|llm|embedding|reranker|retrieval|tool|tool_call|session|user|metadata|tag|agent|input|output)\b/,
      );
      expect(row.when.length).toBeGreaterThan(0);
    }
  });
});
