/**
 * Conversions from the Anthropic API's shapes to the GenAI conventions: request parameters,
 * finish reasons, usage, and (for opt-in content capture) messages, system instructions and
 * tool definitions in the conventions' message schema. Pure functions; callers guard them.
 */
import {
  type InputMessage,
  type MessagePart,
  mediaPart,
  type OutputMessage,
  type RequestDetails,
  type TokenUsage,
  type ToolDefinition,
} from '@genai-otel/core';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** `server.address` / `server.port` of a client's base URL. */
export function serverOf(baseURL: unknown): { serverAddress?: string; serverPort?: number } {
  if (typeof baseURL !== 'string' || !baseURL) return {};
  try {
    const u = new URL(baseURL);
    return {
      serverAddress: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      serverPort: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443,
    };
  } catch {
    return {};
  }
}

/** Request parameters as the conventions name them. */
export function requestDetails(params: Obj): RequestDetails {
  const stop = Array.isArray(params.stop_sequences)
    ? params.stop_sequences.filter((s: unknown) => typeof s === 'string')
    : undefined;
  return {
    model: str(params.model),
    maxTokens: num(params.max_tokens) ?? num(params.max_tokens_to_sample),
    temperature: num(params.temperature),
    topP: num(params.top_p),
    topK: num(params.top_k),
    stopSequences: stop,
    stream: params.stream === true,
  };
}

/** `gen_ai.output.type` when the request asks for structured output. */
export function outputType(params: Obj): string | undefined {
  const format = params.output_config?.format ?? params.output_format;
  return isObj(format) && format.type === 'json_schema' ? 'json' : undefined;
}

/**
 * Token usage per the conventions' Anthropic rule: `input_tokens` counts cache reads and
 * cache writes too (the API reports them separately).
 */
export function usageOf(usage: unknown): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const input = num(usage.input_tokens);
  const cacheRead = num(usage.cache_read_input_tokens);
  const cacheCreation = num(usage.cache_creation_input_tokens);
  const output = num(usage.output_tokens);
  const thinking = num(usage.output_tokens_details?.thinking_tokens);
  const out: TokenUsage = {};
  if (input !== undefined || cacheRead !== undefined || cacheCreation !== undefined) {
    out.inputTokens = (input ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0);
  }
  if (output !== undefined) out.outputTokens = output;
  if (cacheRead !== undefined) out.cacheReadInputTokens = cacheRead;
  if (cacheCreation !== undefined) out.cacheCreationInputTokens = cacheCreation;
  if (thinking !== undefined) out.reasoningOutputTokens = thinking;
  return out;
}

/** Anthropic-specific usage details (`anthropic.usage.*`). */
export function usageExtras(usage: unknown): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  if (!isObj(usage)) return out;
  const c = usage.cache_creation;
  if (isObj(c)) {
    const m5 = num(c.ephemeral_5m_input_tokens);
    const h1 = num(c.ephemeral_1h_input_tokens);
    if (m5 !== undefined) out['anthropic.usage.cache_creation.ephemeral_5m_input_tokens'] = m5;
    if (h1 !== undefined) out['anthropic.usage.cache_creation.ephemeral_1h_input_tokens'] = h1;
  }
  if (isObj(usage.server_tool_use)) {
    for (const [k, v] of Object.entries(usage.server_tool_use).slice(0, 16)) {
      const n = num(v);
      if (n !== undefined && /^[a-z0-9_]{1,64}$/.test(k))
        out[`anthropic.usage.server_tool_use.${k}`] = n;
    }
  }
  const tier = str(usage.service_tier);
  if (tier) out['anthropic.response.service_tier'] = tier.slice(0, 64);
  return out;
}

// --- content ------------------------------------------------------------------------------

function modalityOf(blockType: string): string {
  return blockType === 'image' ? 'image' : blockType === 'document' ? 'document' : blockType;
}

function sourcePart(block: Obj): MessagePart {
  const type = String(block.type);
  const src = block.source;
  if (isObj(src)) {
    if (src.type === 'text' && typeof src.data === 'string') {
      return { type: 'text', content: src.data };
    }
    const modality = modalityOf(type);
    if (src.type === 'url') return mediaPart({ modality, url: src.url });
    if (src.type === 'base64')
      return mediaPart({ modality, data: src.data, mimeType: src.media_type });
    if (src.type === 'file') return mediaPart({ modality, fileId: src.file_id });
  }
  return { type };
}

function toolResultContent(content: unknown): unknown {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.filter((c) => isObj(c) && c.type === 'text').map((c) => c.text);
    if (texts.length === content.length) return texts.join('');
    return content.map((c) => (isObj(c) ? blockToPart(c) : c));
  }
  return content;
}

/** One content block (request or response) as a conventions message part. */
export function blockToPart(block: Obj): MessagePart {
  switch (block.type) {
    case 'text':
      return { type: 'text', content: String(block.text ?? '') };
    case 'thinking':
      return { type: 'reasoning', content: String(block.thinking ?? '') };
    case 'redacted_thinking':
      return { type: 'reasoning', content: '', redacted: true };
    case 'tool_use':
      return {
        type: 'tool_call',
        id: str(block.id) ?? null,
        name: String(block.name ?? ''),
        arguments: block.input,
      };
    case 'server_tool_use':
    case 'mcp_tool_use':
      return {
        type: 'server_tool_call',
        id: str(block.id) ?? null,
        name: String(block.name ?? ''),
        server_tool_call: { type: String(block.type), arguments: block.input },
      };
    case 'tool_result':
      return {
        type: 'tool_call_response',
        id: str(block.tool_use_id) ?? null,
        response: toolResultContent(block.content),
        ...(block.is_error === true ? { is_error: true } : {}),
      };
    case 'image':
    case 'document':
      return sourcePart(block);
    default: {
      // Server tool results (`web_search_tool_result`, ...) and blocks newer than this code.
      const type = String(block.type ?? 'unknown');
      if (type.endsWith('_tool_result')) {
        return {
          type: 'server_tool_call_response',
          id: str(block.tool_use_id) ?? null,
          server_tool_call_response: { type, content: block.content },
        };
      }
      return { type };
    }
  }
}

function partsOf(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  return content.filter(isObj).map(blockToPart);
}

/** `messages` of a request as conventions input messages. */
export function inputMessages(messages: unknown): InputMessage[] {
  if (!Array.isArray(messages)) return [];
  return messages.filter(isObj).map((m) => {
    const parts = partsOf(m.content);
    // A user turn that only returns tool results is the conventions' `tool` message.
    const role =
      m.role === 'user' && parts.length > 0 && parts.every((p) => p.type === 'tool_call_response')
        ? 'tool'
        : String(m.role ?? 'user');
    return { role, parts };
  });
}

/** The legacy completions prompt as one user message. */
export function promptMessages(prompt: unknown): InputMessage[] {
  return typeof prompt === 'string'
    ? [{ role: 'user', parts: [{ type: 'text', content: prompt }] }]
    : [];
}

/** `system` of a request (string or text blocks) as conventions parts. */
export function systemInstructions(system: unknown): MessagePart[] | undefined {
  if (system === undefined || system === null) return undefined;
  const parts = partsOf(system);
  return parts.length > 0 ? parts : undefined;
}

/** `tools` of a request as conventions tool definitions. */
export function toolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.filter(isObj).map((t) => {
    // Custom tools have no type (or `custom`); server tools have a versioned type.
    if (t.type === undefined || t.type === null || t.type === 'custom') {
      return {
        type: 'function',
        name: String(t.name ?? ''),
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        ...(t.input_schema !== undefined ? { parameters: t.input_schema } : {}),
      };
    }
    return { type: String(t.type), name: String(t.name ?? t.type) };
  });
}

/** A response Message as the conventions' output message. */
export function outputMessage(content: unknown, finishReason: string | undefined): OutputMessage {
  return { role: 'assistant', parts: partsOf(content), finish_reason: finishReason ?? 'error' };
}
