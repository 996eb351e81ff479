/**
 * Offline LangChain fixtures built from the real `@langchain/core` (1.x or the 0.3 alias):
 * a chat model that reports usage and streams word by word, plus helpers.
 */
export interface Fixtures {
  core: string;
  req: (path: string) => any;
  UsageChatModel: any;
}

export const USAGE = {
  input_tokens: 10,
  output_tokens: 5,
  total_tokens: 15,
  input_token_details: { cache_read: 4, cache_creation: 2 },
  output_token_details: { reasoning: 1 },
};

export function fixtures(require: NodeJS.Require, core = '@langchain/core'): Fixtures {
  const req = (path: string) => require(`${core}/${path}`);
  const { BaseChatModel } = req('language_models/chat_models');
  const { AIMessage, AIMessageChunk } = req('messages');
  const { ChatGenerationChunk } = req('outputs');

  /**
   * A provider-like chat model: `ls_*` params, usage_metadata, a response id/model/finish
   * reason, optional work inside `_generate` (`inner`), optional failure, and streaming.
   */
  class UsageChatModel extends BaseChatModel {
    reply: string;
    inner?: () => Promise<void> | void;
    fail?: unknown;
    failAfterChunks?: number;
    responseMetadata: Record<string, unknown>;
    toolCalls?: unknown[];
    constructor(fields: any = {}) {
      super(fields);
      this.reply = fields.reply ?? 'the answer is 42';
      this.inner = fields.inner;
      this.fail = fields.fail;
      this.failAfterChunks = fields.failAfterChunks;
      this.responseMetadata = fields.responseMetadata ?? {
        model_name: 'fake-model-1-2026',
        finish_reason: 'end_turn',
      };
      this.toolCalls = fields.toolCalls;
    }
    _llmType() {
      return 'usage-fake';
    }
    getLsParams(options: any) {
      return {
        ls_provider: 'anthropic',
        ls_model_name: 'fake-model-1',
        ls_model_type: 'chat',
        ls_temperature: 0.3,
        ls_max_tokens: 256,
        ls_stop: options?.stop,
      };
    }
    invocationParams(options?: any) {
      return {
        model: 'fake-model-1',
        temperature: 0.3,
        top_p: 0.9,
        top_k: 40,
        max_tokens: 256,
        ...(options?.tools ? { tools: options.tools } : {}),
      };
    }
    async _generate() {
      if (this.inner) await this.inner();
      if (this.fail) throw this.fail;
      const message = new AIMessage({
        content: this.reply,
        id: 'msg_123',
        usage_metadata: USAGE,
        response_metadata: this.responseMetadata,
        ...(this.toolCalls ? { tool_calls: this.toolCalls } : {}),
      });
      return { generations: [{ text: this.reply, message }] };
    }
    async *_streamResponseChunks(_messages: unknown, _options: unknown, runManager: any) {
      if (this.inner) await this.inner();
      const words = this.reply.split(' ');
      for (let i = 0; i < words.length; i++) {
        if (this.failAfterChunks === i) throw new Error('stream broke');
        const text = i === 0 ? words[i] : ` ${words[i]}`;
        const chunk = new ChatGenerationChunk({
          text,
          message: new AIMessageChunk({
            content: text,
            // Input counted once, one output token per chunk: LangChain sums them.
            usage_metadata: {
              input_tokens: i === 0 ? 7 : 0,
              output_tokens: 1,
              total_tokens: i === 0 ? 8 : 1,
            },
          }),
        });
        await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, {
          chunk,
        });
        yield chunk;
      }
    }
  }
  return { core, req, UsageChatModel };
}
