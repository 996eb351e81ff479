/**
 * Pure, allocation-conscious readers for LangChain's callback payloads. Every function accepts
 * anything (payloads are untyped at run time and may be hostile) and never throws on shape
 * surprises: callers still wrap them in `safely()` against throwing getters.
 */

import {
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  GEN_AI_PROVIDER,
  type InputMessage,
  type MessagePart,
  mediaPart,
  type OutputMessage,
  outputFinishReason,
  type RequestDetails,
  type ResponseDetails,
  type RetrievedDocument,
  type TokenUsage,
  type ToolDefinition,
} from '@genai-otel/core';
import type { Attributes } from '@opentelemetry/api';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : undefined;
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** The run's display name: explicit `runName`, else the serialized class name. */
export function runDisplayName(serialized: unknown, runName: unknown, fallback: string): string {
  const explicit = str(runName);
  if (explicit) return explicit.slice(0, 256);
  if (isObj(serialized)) {
    const id = serialized.id;
    if (Array.isArray(id) && id.length > 0) {
      const last = id[id.length - 1];
      if (typeof last === 'string' && last) return last.slice(0, 256);
    }
    const name = str(serialized.name);
    if (name) return name.slice(0, 256);
  }
  return fallback;
}

/** The last element of `serialized.id` (the LangChain class name), if any. */
export function serializedClass(serialized: unknown): string | undefined {
  if (!isObj(serialized) || !Array.isArray(serialized.id)) return undefined;
  const last = serialized.id[serialized.id.length - 1];
  return typeof last === 'string' ? last : undefined;
}

/** LangChain `ls_provider` values mapped to `gen_ai.provider.name` well-known values. */
const PROVIDERS: Record<string, string> = {
  openai: GEN_AI_PROVIDER.OPENAI ?? 'openai',
  anthropic: 'anthropic',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  azureopenai: 'azure.ai.openai',
  google_genai: 'gcp.gen_ai',
  googlegenerativeai: 'gcp.gen_ai',
  google_vertexai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  bedrock: 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  bedrockconverse: 'aws.bedrock',
  mistralai: 'mistral_ai',
  mistral: 'mistral_ai',
  groq: 'groq',
  cohere: 'cohere',
  deepseek: 'deepseek',
  xai: 'x_ai',
  perplexity: 'perplexity',
  ibm: 'ibm.watsonx.ai',
  watsonx: 'ibm.watsonx.ai',
};

export function providerName(lsProvider: unknown): string | undefined {
  const raw = str(lsProvider);
  if (!raw) return undefined;
  return PROVIDERS[raw.toLowerCase()] ?? raw.slice(0, 128);
}

function pick(o: Obj | undefined, a: string, b?: string, c?: string): unknown {
  if (!o) return undefined;
  const v = o[a];
  if (v !== undefined || b === undefined) return v;
  const w = o[b];
  if (w !== undefined || c === undefined) return w;
  return o[c];
}

function stopList(v: unknown): string[] | undefined {
  if (typeof v === 'string' && v) return [v];
  if (Array.isArray(v) && v.length > 0) return v.filter((s) => typeof s === 'string');
  return undefined;
}

/** Model and request parameters from the run metadata (`ls_*`) and `invocation_params`. */
export function requestDetails(
  metadata: unknown,
  extraParams: unknown,
): RequestDetails & { model?: string } {
  const md = isObj(metadata) ? metadata : undefined;
  const ip =
    isObj(extraParams) && isObj(extraParams.invocation_params)
      ? (extraParams.invocation_params as Obj)
      : undefined;
  const model =
    str(md?.ls_model_name) ?? str(pick(ip, 'model', 'modelName', 'model_name')) ?? undefined;
  const maxTokens =
    num(md?.ls_max_tokens) ??
    num(pick(ip, 'max_tokens', 'maxTokens', 'max_completion_tokens')) ??
    num(pick(ip, 'maxOutputTokens', 'max_output_tokens', 'num_predict'));
  const stream = pick(ip, 'stream', 'streaming');
  return {
    model,
    temperature: num(md?.ls_temperature) ?? num(ip?.temperature),
    topP: num(pick(ip, 'top_p', 'topP')),
    topK: num(pick(ip, 'top_k', 'topK')),
    maxTokens,
    stopSequences:
      stopList(md?.ls_stop) ?? stopList(pick(ip, 'stop', 'stop_sequences', 'stopSequences')),
    frequencyPenalty: num(pick(ip, 'frequency_penalty', 'frequencyPenalty')),
    presencePenalty: num(pick(ip, 'presence_penalty', 'presencePenalty')),
    seed: num(ip?.seed),
    choiceCount: num(ip?.n),
    stream: typeof stream === 'boolean' ? stream : undefined,
  };
}

/**
 * Request parameters as span-start attributes (one object handed to the SDK at start, which is
 * cheaper than one `setAttribute` per parameter and lets samplers see them).
 */
export function requestAttributes(r: RequestDetails, into: Attributes): Attributes {
  if (r.temperature !== undefined) into[ATTR_GEN_AI_REQUEST_TEMPERATURE] = r.temperature;
  if (r.topP !== undefined) into[ATTR_GEN_AI_REQUEST_TOP_P] = r.topP;
  if (r.topK !== undefined) into[ATTR_GEN_AI_REQUEST_TOP_K] = r.topK;
  if (r.maxTokens !== undefined) into[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = r.maxTokens;
  if (r.stopSequences !== undefined && r.stopSequences.length > 0)
    into[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = r.stopSequences
      .slice(0, 32)
      .map((x) => String(x).slice(0, 256));
  if (r.frequencyPenalty !== undefined)
    into[ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY] = r.frequencyPenalty;
  if (r.presencePenalty !== undefined)
    into[ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY] = r.presencePenalty;
  if (r.seed !== undefined) into[ATTR_GEN_AI_REQUEST_SEED] = r.seed;
  if (r.choiceCount !== undefined && r.choiceCount !== 1)
    into[ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = r.choiceCount;
  if (r.stream !== undefined) into[ATTR_GEN_AI_REQUEST_STREAM] = r.stream;
  return into;
}

/** The first generation's message (LangChain puts one run's result in `generations[0]`). */
function generationsOf(output: unknown): unknown[] | undefined {
  if (!isObj(output) || !Array.isArray(output.generations)) return undefined;
  const first = output.generations[0];
  return Array.isArray(first) ? first : undefined;
}

function usageFromMetadata(u: unknown): TokenUsage | undefined {
  if (!isObj(u)) return undefined;
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const inDetails = isObj(u.input_token_details) ? u.input_token_details : undefined;
  const outDetails = isObj(u.output_token_details) ? u.output_token_details : undefined;
  return {
    inputTokens: input,
    outputTokens: output,
    cacheReadInputTokens: num(inDetails?.cache_read),
    cacheCreationInputTokens: num(inDetails?.cache_creation),
    reasoningOutputTokens: num(outDetails?.reasoning),
  };
}

/**
 * Token usage of an LLM run: the message's `usage_metadata` (summed over the run's
 * generations), else `llmOutput.tokenUsage` / `estimatedTokenUsage` / `usage`.
 */
export function usageFromOutput(output: unknown): TokenUsage | undefined {
  const gens = generationsOf(output);
  let total: TokenUsage | undefined;
  if (gens) {
    for (const g of gens) {
      const u =
        isObj(g) && isObj(g.message) ? usageFromMetadata(g.message.usage_metadata) : undefined;
      if (!u) continue;
      total = total ? addUsage(total, u) : u;
    }
  }
  if (total) return total;
  if (!isObj(output) || !isObj(output.llmOutput)) return undefined;
  const lo = output.llmOutput;
  const tu = isObj(lo.tokenUsage)
    ? lo.tokenUsage
    : isObj(lo.estimatedTokenUsage)
      ? lo.estimatedTokenUsage
      : undefined;
  if (tu) {
    const inputTokens = num(tu.promptTokens) ?? num(tu.prompt_tokens);
    const outputTokens = num(tu.completionTokens) ?? num(tu.completion_tokens);
    if (inputTokens !== undefined || outputTokens !== undefined)
      return { inputTokens, outputTokens };
  }
  if (isObj(lo.usage)) {
    const u = lo.usage;
    const inputTokens = num(u.input_tokens) ?? num(u.prompt_tokens);
    const outputTokens = num(u.output_tokens) ?? num(u.completion_tokens);
    if (inputTokens !== undefined || outputTokens !== undefined)
      return { inputTokens, outputTokens };
  }
  return undefined;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const add = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : x + y);
  return {
    inputTokens: add(a.inputTokens, b.inputTokens),
    outputTokens: add(a.outputTokens, b.outputTokens),
    cacheReadInputTokens: add(a.cacheReadInputTokens, b.cacheReadInputTokens),
    cacheCreationInputTokens: add(a.cacheCreationInputTokens, b.cacheCreationInputTokens),
    reasoningOutputTokens: add(a.reasoningOutputTokens, b.reasoningOutputTokens),
  };
}

function finishReason(g: Obj): string | undefined {
  const info = isObj(g.generationInfo) ? g.generationInfo : undefined;
  const msg = isObj(g.message) ? g.message : undefined;
  const rm = msg && isObj(msg.response_metadata) ? msg.response_metadata : undefined;
  return (
    str(info?.finish_reason) ??
    str(rm?.finish_reason) ??
    str(rm?.stop_reason) ??
    str(info?.stop_reason) ??
    str(rm?.finishReason)
  );
}

/**
 * The output message's finish reason, in the schema's vocabulary: LangChain 1.5+'s own
 * normalised reason (corrected for tool calls and refusals) where a provider package sets it,
 * else the provider's reason mapped, else from the message's tool calls.
 */
function messageFinishReason(g: Obj): string {
  const msg = isObj(g.message) ? g.message : undefined;
  const rm = msg && isObj(msg.response_metadata) ? msg.response_metadata : undefined;
  const normalized = str(rm?.normalized_finish_reason);
  const reason = normalized !== undefined && normalized !== 'other' ? normalized : finishReason(g);
  const toolCalls = msg?.tool_calls;
  return outputFinishReason(reason, Array.isArray(toolCalls) && toolCalls.length > 0);
}

/** Response id, model and finish reasons of an LLM run. */
export function responseDetails(output: unknown): ResponseDetails {
  const gens = generationsOf(output);
  const out: ResponseDetails = {};
  if (!gens || gens.length === 0) return out;
  const reasons: string[] = [];
  for (const g of gens) {
    if (!isObj(g)) continue;
    const r = finishReason(g);
    if (r) reasons.push(r);
  }
  if (reasons.length > 0) out.finishReasons = reasons;
  const first = gens[0];
  const msg = isObj(first) && isObj(first.message) ? first.message : undefined;
  if (msg) {
    const rm = isObj(msg.response_metadata) ? msg.response_metadata : undefined;
    const id = str(rm?.id) ?? str(msg.id);
    // LangChain fills missing ids with `run-<runId>`: that is not a provider response id.
    if (id && !id.startsWith('run-')) out.id = id;
    out.model = str(rm?.model_name) ?? str(rm?.model);
  }
  if (!out.model && isObj(output) && isObj((output as Obj).llmOutput)) {
    const lo = (output as Obj).llmOutput as Obj;
    out.model = str(lo.model_name) ?? str(lo.model);
  }
  return out;
}

const ROLES: Record<string, string> = {
  human: 'user',
  user: 'user',
  ai: 'assistant',
  assistant: 'assistant',
  system: 'system',
  developer: 'system',
  tool: 'tool',
  function: 'tool',
  generic: 'user',
};

function messageType(m: Obj): string {
  try {
    if (typeof m.type === 'string') return m.type;
    if (typeof m._getType === 'function') return String((m._getType as () => unknown)());
    if (typeof m.role === 'string') return m.role;
  } catch {
    // a hostile getter: fall through
  }
  return 'user';
}

const MEDIA_MODALITY = new Map<string, string>([
  ['image', 'image'],
  ['image_url', 'image'],
  ['audio', 'audio'],
  ['input_audio', 'audio'],
  ['video', 'video'],
  ['file', 'document'],
  ['document', 'document'],
]);

/**
 * A media block in any of the shapes LangChain messages carry: standard (v1) blocks
 * (`{ type: 'image', url | data | fileId, mimeType }`), the 0.3 data blocks (`source_type`,
 * `mime_type`), OpenAI's `image_url` / `input_audio`, and Anthropic's `source`.
 */
function mediaBlockPart(block: Obj, modality: string): MessagePart {
  const src = isObj(block.source) ? block.source : undefined;
  if (src !== undefined)
    return mediaPart({
      modality,
      url: src.url,
      data: src.data,
      fileId: src.file_id,
      mimeType: src.media_type,
    });
  const imageUrl = block.image_url;
  const audio = isObj(block.input_audio) ? block.input_audio : undefined;
  return mediaPart({
    modality,
    url: isObj(imageUrl) ? imageUrl.url : (imageUrl ?? block.url),
    data: audio?.data ?? block.data,
    fileId: block.fileId ?? block.file_id ?? (block.source_type === 'id' ? block.id : undefined),
    mimeType:
      block.mimeType ??
      block.mime_type ??
      (audio && str(audio.format) ? `audio/${audio.format}` : undefined),
  });
}

function contentParts(content: unknown, parts: MessagePart[]): void {
  if (typeof content === 'string') {
    if (content) parts.push({ type: 'text', content });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const block of content.slice(0, 256)) {
    if (typeof block === 'string') parts.push({ type: 'text', content: block });
    else if (isObj(block)) {
      const t = str(block.type) ?? 'unknown';
      if ((t === 'text' || t === 'text-plain') && typeof block.text === 'string')
        parts.push({ type: 'text', content: block.text });
      else if (
        (t === 'thinking' || t === 'reasoning') &&
        typeof (block.thinking ?? block.reasoning) === 'string'
      )
        parts.push({ type: 'reasoning', content: String(block.thinking ?? block.reasoning) });
      else if (MEDIA_MODALITY.has(t)) parts.push(mediaBlockPart(block, MEDIA_MODALITY.get(t)!));
      else if (t === 'server_tool_call')
        parts.push({
          type: 'server_tool_call',
          id: str(block.id) ?? null,
          name: str(block.name) ?? '',
          server_tool_call: { type: str(block.name) ?? 'server_tool_call', arguments: block.args },
        });
      else if (t === 'server_tool_call_result')
        parts.push({
          type: 'server_tool_call_response',
          id: str(block.toolCallId) ?? null,
          server_tool_call_response: { status: block.status, output: block.output },
        });
      // Tool calls are read from `tool_calls` (every LangChain version fills it).
      else if (t !== 'tool_use' && t !== 'tool_call' && t !== 'tool_call_chunk')
        parts.push({ type: t });
    }
  }
}

function messageParts(m: Obj): MessagePart[] {
  const parts: MessagePart[] = [];
  const type = messageType(m);
  if (type === 'tool') {
    parts.push({
      type: 'tool_call_response',
      id: str(m.tool_call_id) ?? null,
      response: m.content,
    });
    return parts;
  }
  contentParts(m.content, parts);
  if (Array.isArray(m.tool_calls)) {
    for (const tc of m.tool_calls.slice(0, 128)) {
      if (!isObj(tc)) continue;
      parts.push({
        type: 'tool_call',
        id: str(tc.id) ?? null,
        name: str(tc.name) ?? '',
        arguments: tc.args,
      });
    }
  }
  return parts;
}

/** LangChain messages (or prompt strings) as the conventions' input messages. */
export function inputMessages(messages: unknown): InputMessage[] {
  const out: InputMessage[] = [];
  if (!Array.isArray(messages)) return out;
  for (const m of messages.slice(0, 1024)) {
    if (typeof m === 'string') out.push({ role: 'user', parts: [{ type: 'text', content: m }] });
    else if (isObj(m)) {
      const msg: InputMessage = { role: ROLES[messageType(m)] ?? 'user', parts: messageParts(m) };
      const name = str(m.name);
      if (name) msg.name = name;
      out.push(msg);
    }
  }
  return out;
}

/** The generations of an LLM run as output messages. */
export function outputMessages(output: unknown): OutputMessage[] {
  const out: OutputMessage[] = [];
  const gens = generationsOf(output);
  if (!gens) return out;
  for (const g of gens.slice(0, 64)) {
    if (!isObj(g)) continue;
    const reason = messageFinishReason(g);
    if (isObj(g.message)) {
      out.push({ role: 'assistant', parts: messageParts(g.message), finish_reason: reason });
    } else if (typeof g.text === 'string') {
      out.push({
        role: 'assistant',
        parts: [{ type: 'text', content: g.text }],
        finish_reason: reason,
      });
    }
  }
  return out;
}

/** Retrieved LangChain documents: id and score when present, content kept for the policy. */
export function documents(docs: unknown): RetrievedDocument[] | undefined {
  if (!Array.isArray(docs)) return undefined;
  // Core records at most 100 documents; the true count is recorded separately.
  const out: RetrievedDocument[] = new Array(Math.min(docs.length, 100));
  for (let i = 0; i < out.length; i++) {
    const d = docs[i];
    const doc: RetrievedDocument = {};
    if (isObj(d)) {
      const md = isObj(d.metadata) ? d.metadata : undefined;
      const id = d.id ?? md?.id;
      if (typeof id === 'string' || typeof id === 'number') doc.id = String(id);
      const score = num(md?.score) ?? num(md?.relevance_score) ?? num(md?.relevanceScore);
      if (score !== undefined) doc.score = score;
      if (typeof d.pageContent === 'string') doc.content = d.pageContent;
    }
    out[i] = doc;
  }
  return out;
}

/** `description` of a tool instance (LangChain does not serialise tools into callbacks). */
export function ownerDescription(owner: unknown): string | undefined {
  try {
    return isObj(owner) ? str(owner.description) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tools bound to a model call (`invocation_params.tools`), in OpenAI
 * (`{type, function: {name, description, parameters}}`), Anthropic
 * (`{name, description, input_schema}`) or LangChain-style shapes.
 */
export function toolDefinitions(extraParams: unknown): ToolDefinition[] | undefined {
  const ip =
    isObj(extraParams) && isObj(extraParams.invocation_params)
      ? (extraParams.invocation_params as Obj)
      : undefined;
  const tools = ip?.tools;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const out: ToolDefinition[] = [];
  for (const t of tools.slice(0, 128)) {
    if (!isObj(t)) continue;
    const fn = isObj(t.function) ? t.function : t;
    const name = str(fn.name);
    if (!name) continue;
    const def: ToolDefinition = { type: str(t.type) ?? 'function', name };
    const description = str(fn.description);
    if (description) def.description = description;
    const parameters = fn.parameters ?? fn.input_schema ?? fn.schema;
    if (parameters !== undefined) def.parameters = parameters;
    out.push(def);
  }
  return out.length > 0 ? out : undefined;
}

/** A tool's result as recorded: a ToolMessage's content, else the value. */
export function toolResult(output: unknown): unknown {
  if (isObj(output) && 'content' in output && ('tool_call_id' in output || 'lc_kwargs' in output))
    return output.content;
  return output;
}

export function toolCallIdOf(output: unknown): string | undefined {
  return isObj(output) ? str(output.tool_call_id) : undefined;
}
