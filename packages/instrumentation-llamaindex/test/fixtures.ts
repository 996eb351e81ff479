/**
 * Offline LlamaIndex fixtures: the real `llamaindex` packages from npm (two versions), a fake
 * embedding model and a fake LLM that follow LlamaIndex's interfaces and emit provider-shaped
 * raw responses (Anthropic-style usage and stop reasons).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The oldest and the newest supported versions (the old one is a pnpm alias). */
export const VERSIONS = [
  { label: '0.12.1', specifier: 'llamaindex' },
  { label: '0.10.1', specifier: 'llamaindex-0.10' },
] as const;

export function loadLlamaIndex(specifier: string): any {
  return require(specifier);
}

export function resolvedEntry(specifier: string): string {
  return require.resolve(specifier);
}

/** The installed version behind a specifier (aliases included). */
export function packageVersion(specifier: string): string {
  let dir = dirname(resolvedEntry(specifier));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === 'llamaindex') return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error(`no package.json for ${specifier}`);
}

export interface Fakes {
  FakeEmbedding: any;
  FakeLLM: any;
  embed: any;
  llm: any;
}

/** Builds the fake classes on top of a given `llamaindex` module (its own core copy). */
export function makeFakes(li: any): Fakes {
  class FakeEmbedding extends li.BaseEmbedding {
    model = 'fake-embed-v1';
    async getTextEmbedding(text: string): Promise<number[]> {
      const v = [1, 0, 0, 0];
      for (const c of String(text)) v[c.charCodeAt(0) % 4] += 1;
      return v;
    }
  }

  class FakeLLM extends li.ToolCallLLM {
    calls = 0;
    failNext: unknown = undefined;
    get metadata() {
      return {
        model: 'fake-llm-1',
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 256,
        contextWindow: 8192,
        tokenizer: undefined,
        structuredOutput: false,
      };
    }
    get supportToolCall() {
      return true;
    }
    async chat(params: any): Promise<any> {
      this.calls++;
      if (this.failNext) {
        const err = this.failNext;
        this.failNext = undefined;
        throw err;
      }
      const messages: any[] = params.messages ?? [];
      const last = messages[messages.length - 1];
      const lastText =
        typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
      const wantsTool =
        Array.isArray(params.tools) && params.tools.length > 0 && !last?.options?.toolResult;
      if (wantsTool) {
        const toolCall = [
          { id: 'call_1', name: params.tools[0].metadata.name, input: { a: 2, b: 3 } },
        ];
        const message = { role: 'assistant', content: '', options: { toolCall } };
        if (params.stream) {
          return (async function* () {
            yield {
              delta: '',
              options: { toolCall },
              raw: {
                type: 'message_start',
                message: {
                  id: 'msg_t',
                  model: 'fake-llm-1-resp',
                  usage: { input_tokens: 11, output_tokens: 1 },
                },
              },
            };
            yield {
              delta: '',
              raw: {
                type: 'message_delta',
                delta: { stop_reason: 'tool_use' },
                usage: { output_tokens: 4 },
              },
            };
          })();
        }
        return {
          message,
          raw: {
            id: 'msg_t',
            model: 'fake-llm-1-resp',
            stop_reason: 'tool_use',
            usage: { input_tokens: 11, output_tokens: 4 },
          },
        };
      }
      const answer = last?.options?.toolResult
        ? `The tool said ${String(last.options.toolResult.result)}`
        : `Answer about ${lastText.slice(-24)}`;
      if (params.stream) {
        const words = answer.split(' ');
        return (async function* () {
          yield {
            delta: '',
            raw: {
              type: 'message_start',
              message: {
                id: 'msg_s',
                model: 'fake-llm-1-resp',
                usage: { input_tokens: 20, output_tokens: 1, cache_read_input_tokens: 5 },
              },
            },
          };
          for (const w of words) yield { delta: `${w} `, raw: { type: 'content_block_delta' } };
          yield {
            delta: '',
            raw: {
              type: 'message_delta',
              delta: { stop_reason: 'end_turn' },
              usage: { output_tokens: words.length },
            },
          };
        })();
      }
      return {
        message: { role: 'assistant', content: answer },
        raw: {
          id: 'msg_1',
          model: 'fake-llm-1-resp',
          stop_reason: 'end_turn',
          usage: { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 5 },
        },
      };
    }
  }

  return { FakeEmbedding, FakeLLM, embed: new FakeEmbedding(), llm: new FakeLLM() };
}

export const DOCS = [
  {
    id: 'doc-otel',
    text: 'OpenTelemetry is an observability framework for traces, metrics and logs.',
  },
  { id: 'doc-llama', text: 'LlamaIndex is a data framework for LLM applications and retrieval.' },
  { id: 'doc-cats', text: 'Cats sleep for most of the day and like warm places.' },
];

/** A vector index over {@link DOCS} with the given fakes (Settings are set too). */
export async function buildIndex(li: any, fakes: Fakes): Promise<any> {
  li.Settings.embedModel = fakes.embed;
  li.Settings.llm = fakes.llm;
  const documents = DOCS.map((d) => new li.Document({ text: d.text, id_: d.id }));
  return li.VectorStoreIndex.fromDocuments(documents, { embedModel: fakes.embed } as any);
}

export async function drain(stream: AsyncIterable<any>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk?.delta ?? chunk?.response ?? '';
  return out;
}
