/**
 * The conventions' message schema (gen-ai-input-messages.json / gen-ai-output-messages.json).
 * Instrumentations convert framework messages into these shapes; core serialises them.
 */

export type MessageRole = 'system' | 'user' | 'assistant' | 'tool' | (string & {});

export interface TextPart {
  type: 'text';
  content: string;
}
export interface ToolCallPart {
  type: 'tool_call';
  id?: string | null;
  name: string;
  arguments?: unknown;
}
export interface ToolCallResponsePart {
  type: 'tool_call_response';
  id?: string | null;
  response: unknown;
}
export interface ReasoningPart {
  type: 'reasoning';
  content: string;
}
export interface BlobPart {
  type: 'blob';
  modality: string;
  mime_type?: string;
  content: string;
}
export interface UriPart {
  type: 'uri';
  modality: string;
  mime_type?: string;
  uri: string;
}
export interface FilePart {
  type: 'file';
  modality: string;
  mime_type?: string;
  file_id: string;
}
/** A tool executed by the provider (e.g. server-side web search). */
export interface ServerToolCallPart {
  type: 'server_tool_call';
  id?: string | null;
  name: string;
  server_tool_call?: unknown;
}
export interface ServerToolCallResponsePart {
  type: 'server_tool_call_response';
  id?: string | null;
  server_tool_call_response?: unknown;
}
export interface GenericPart {
  type: string;
  [key: string]: unknown;
}

export type MessagePart =
  | TextPart
  | ToolCallPart
  | ToolCallResponsePart
  | ReasoningPart
  | BlobPart
  | UriPart
  | FilePart
  | ServerToolCallPart
  | ServerToolCallResponsePart
  | GenericPart;

export interface InputMessage {
  role: MessageRole;
  parts: MessagePart[];
  name?: string;
}

export type FinishReason =
  | 'stop'
  | 'length'
  | 'content_filter'
  | 'tool_call'
  | 'error'
  | (string & {});

export interface OutputMessage extends InputMessage {
  finish_reason: FinishReason;
}

// Provider finish/stop reasons (lower-cased) in the schema's vocabulary: OpenAI, Anthropic,
// Gemini, Bedrock Converse, Ollama, and the normalised values of LangChain 1.5+.
const FINISH_REASONS = new Map<string, FinishReason>([
  ['stop', 'stop'],
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['pause_turn', 'stop'],
  ['eos', 'stop'],
  ['length', 'length'],
  ['max_tokens', 'length'],
  ['max_output_tokens', 'length'],
  ['model_context_window_exceeded', 'length'],
  ['context_exceeded', 'length'],
  ['tool_call', 'tool_call'],
  ['tool_calls', 'tool_call'],
  ['tool_use', 'tool_call'],
  ['function_call', 'tool_call'],
  ['content_filter', 'content_filter'],
  ['content_filtered', 'content_filter'],
  ['refusal', 'content_filter'],
  ['safety', 'content_filter'],
  ['recitation', 'content_filter'],
  ['blocklist', 'content_filter'],
  ['prohibited_content', 'content_filter'],
  ['spii', 'content_filter'],
  ['guardrail_intervened', 'content_filter'],
  ['error', 'error'],
]);

/**
 * A provider's finish (stop) reason in the output message schema's vocabulary (`stop`,
 * `length`, `content_filter`, `tool_call`, `error`); a reason it does not know passes through
 * unchanged. Undefined when there is no reason.
 */
export function normalizeFinishReason(reason: unknown): FinishReason | undefined {
  if (typeof reason !== 'string' || reason === '') return undefined;
  return FINISH_REASONS.get(reason.toLowerCase()) ?? reason;
}

/**
 * The `finish_reason` of an output message, which the schema requires: the normalised reason,
 * else `tool_call` for a message that calls tools, else `stop`.
 */
export function outputFinishReason(reason: unknown, hasToolCalls: boolean): FinishReason {
  return normalizeFinishReason(reason) ?? (hasToolCalls ? 'tool_call' : 'stop');
}

/**
 * Characters of inline (base64) media kept in a `blob` part: enough to recognise the payload,
 * never the payload itself (an image is megabytes; the content limit would cut it anyway).
 */
export const MAX_INLINE_MEDIA_CHARS = 256;

/** Where a media content block's data is, as frameworks and provider SDKs describe it. */
export interface MediaSource {
  /** `image`, `audio`, `video`, `document`, ... */
  modality: string;
  /** A URL, or a `data:` URL carrying the data inline. */
  url?: unknown;
  /** Inline data, base64. */
  data?: unknown;
  /** A provider file id (a Files API upload). */
  fileId?: unknown;
  mimeType?: unknown;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/;

/**
 * A media content block as the conventions' part: a provider file id is a `file` part, a URL a
 * `uri` part, inline data (base64, or a `data:` URL) a `blob` part whose `content` keeps the
 * first {@link MAX_INLINE_MEDIA_CHARS} characters (binary data is not recorded).
 */
export function mediaPart(source: MediaSource): MessagePart {
  const modality = source.modality;
  let mime = typeof source.mimeType === 'string' && source.mimeType ? source.mimeType : undefined;
  if (typeof source.fileId === 'string' && source.fileId)
    return { type: 'file', modality, ...(mime ? { mime_type: mime } : {}), file_id: source.fileId };
  let data = source.data;
  if (typeof source.url === 'string' && source.url) {
    const m = DATA_URL.exec(source.url.slice(0, 256));
    if (m === null)
      return { type: 'uri', modality, ...(mime ? { mime_type: mime } : {}), uri: source.url };
    mime ??= m[1] || undefined;
    data = source.url.slice(m[0].length);
  }
  let content = '';
  if (typeof data === 'string')
    content =
      data.length > MAX_INLINE_MEDIA_CHARS
        ? `${data.slice(0, MAX_INLINE_MEDIA_CHARS)}...[${data.length - MAX_INLINE_MEDIA_CHARS} more chars]`
        : data;
  return { type: 'blob', modality, ...(mime ? { mime_type: mime } : {}), content };
}

/** Retrieved document as recorded on retrieval spans. `content` only with capture on. */
export interface RetrievedDocument {
  id?: string;
  score?: number;
  content?: string;
  metadata?: Record<string, unknown>;
}

/** Tool definition (gen-ai-tool-definitions.json). */
export interface ToolDefinition {
  type: 'function' | (string & {});
  name: string;
  description?: string;
  parameters?: unknown;
}

export const textPart = (content: string): TextPart => ({ type: 'text', content });

/** `{ role, parts: [text] }`: the common case of a plain-text message. */
export const textMessage = (role: MessageRole, content: string): InputMessage => ({
  role,
  parts: [textPart(content)],
});
