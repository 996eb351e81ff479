import { GEN_AI_PROVIDER, type RequestDetails, type TokenUsage } from '@genai-otel/core';

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' ? (v as Rec) : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
/** Reads a property without ever throwing (getters and proxies can). */
export function read(obj: unknown, key: string): unknown {
  try {
    return obj !== null && (typeof obj === 'object' || typeof obj === 'function')
      ? (obj as Rec)[key]
      : undefined;
  } catch {
    return undefined;
  }
}

/** Constructor names along the prototype chain (most derived first), bounded. */
export function classNames(obj: unknown): string[] {
  const names: string[] = [];
  try {
    let proto =
      obj !== null && (typeof obj === 'object' || typeof obj === 'function')
        ? Object.getPrototypeOf(obj)
        : undefined;
    for (let i = 0; proto && proto !== Object.prototype && i < 16; i++) {
      const name = Object.hasOwn(proto, 'constructor')
        ? (proto.constructor as { name?: unknown })?.name
        : undefined;
      if (typeof name === 'string' && name) names.push(name);
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // exotic objects
  }
  return names;
}

export function className(obj: unknown): string {
  return classNames(obj)[0] ?? 'unknown';
}

const PROVIDER_BY_CLASS: Array<[RegExp, string]> = [
  [/^Anthropic/i, GEN_AI_PROVIDER.ANTHROPIC],
  [/^AzureOpenAI|^AzureAI/i, GEN_AI_PROVIDER.AZURE_AI_OPENAI],
  [/^OpenAI/i, GEN_AI_PROVIDER.OPENAI],
  [/^Gemini/i, GEN_AI_PROVIDER.GCP_GEMINI],
  [/^Vertex/i, GEN_AI_PROVIDER.GCP_VERTEX_AI],
  [/^Bedrock/i, GEN_AI_PROVIDER.AWS_BEDROCK],
  [/^Groq/i, GEN_AI_PROVIDER.GROQ],
  [/^Mistral/i, GEN_AI_PROVIDER.MISTRAL_AI],
  [/^DeepSeek/i, GEN_AI_PROVIDER.DEEPSEEK],
  [/^Perplexity/i, GEN_AI_PROVIDER.PERPLEXITY],
  [/^XAI|^Grok/i, GEN_AI_PROVIDER.X_AI],
  [/^Cohere/i, GEN_AI_PROVIDER.COHERE],
  [/^Ollama/i, 'ollama'],
  [/^HuggingFace/i, 'huggingface'],
  [/^Together/i, 'together'],
  [/^Fireworks/i, 'fireworks'],
  [/^Replicate/i, 'replicate'],
];

/**
 * `gen_ai.provider.name` for an LLM or embedding object: a well-known value when one of its
 * classes is a known provider class, else the most derived class name in lower case (a
 * user-defined class is its own provider).
 */
export function providerOf(obj: unknown): string {
  const names = classNames(obj);
  for (const name of names) {
    for (const [re, provider] of PROVIDER_BY_CLASS) if (re.test(name)) return provider;
  }
  const first = names[0];
  return first ? first.toLowerCase().slice(0, 64) : 'llamaindex';
}

/** Model name of an LLM or embedding object. */
export function modelOf(obj: unknown): string | undefined {
  const metadata = rec(read(obj, 'metadata'));
  return (
    str(metadata?.model) ??
    str(read(obj, 'model')) ??
    str(read(obj, 'modelName')) ??
    str(read(obj, 'model_name'))
  );
}

function serverOf(llm: unknown): { address?: string; port?: number } {
  const candidates = [
    read(llm, 'baseURL'),
    read(llm, 'baseUrl'),
    read(read(llm, 'additionalSessionOptions'), 'baseURL'),
    read(read(read(llm, 'session'), 'openai'), 'baseURL'),
    read(read(read(llm, 'session'), 'anthropic'), 'baseURL'),
  ];
  for (const c of candidates) {
    if (typeof c !== 'string' || !c) continue;
    try {
      const u = new URL(c);
      const port = u.port
        ? Number(u.port)
        : u.protocol === 'https:'
          ? 443
          : u.protocol === 'http:'
            ? 80
            : undefined;
      return { address: u.hostname, port };
    } catch {
      // not a URL
    }
  }
  return {};
}

/** Request parameters from the LLM's metadata and the call's options. */
export function requestDetails(llm: unknown, params: unknown): RequestDetails {
  const metadata = rec(read(llm, 'metadata'));
  const p = rec(params);
  const extra = rec(p?.additionalChatOptions) ?? {};
  const stop = extra.stop ?? extra.stop_sequences ?? extra.stopSequences;
  const server = serverOf(llm);
  return {
    model: modelOf(llm),
    temperature: num(extra.temperature) ?? num(metadata?.temperature),
    topP: num(extra.top_p) ?? num(extra.topP) ?? num(metadata?.topP),
    topK: num(extra.top_k) ?? num(extra.topK),
    maxTokens:
      num(extra.max_tokens) ??
      num(extra.maxTokens) ??
      num(metadata?.maxTokens) ??
      num(read(llm, 'maxTokens')),
    stopSequences: Array.isArray(stop)
      ? stop.map(String)
      : typeof stop === 'string'
        ? [stop]
        : undefined,
    frequencyPenalty: num(extra.frequency_penalty),
    presencePenalty: num(extra.presence_penalty),
    seed: num(extra.seed),
    stream: p?.stream === true,
    serverAddress: server.address,
    serverPort: server.port,
  };
}

/** Token usage from a provider's raw response or stream event (OpenAI, Anthropic, Gemini, Ollama shapes). */
export function usageOf(raw: unknown): TokenUsage | undefined {
  const r = rec(raw);
  if (!r) return undefined;
  const u =
    rec(r.usage) ?? rec(rec(r.message)?.usage) ?? rec(r.usageMetadata) ?? rec(r.usage_metadata);
  if (u) {
    // Anthropic: input_tokens excludes cached tokens; the conventions' input count includes them.
    if ('input_tokens' in u || 'output_tokens' in u) {
      const cacheRead = num(u.cache_read_input_tokens);
      const cacheWrite = num(u.cache_creation_input_tokens);
      const input = num(u.input_tokens);
      return {
        inputTokens:
          input !== undefined || cacheRead !== undefined || cacheWrite !== undefined
            ? (input ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0)
            : undefined,
        outputTokens: num(u.output_tokens),
        cacheReadInputTokens: cacheRead,
        cacheCreationInputTokens: cacheWrite,
      };
    }
    if ('prompt_tokens' in u || 'completion_tokens' in u) {
      return {
        inputTokens: num(u.prompt_tokens),
        outputTokens: num(u.completion_tokens),
        cacheReadInputTokens: num(rec(u.prompt_tokens_details)?.cached_tokens),
        reasoningOutputTokens: num(rec(u.completion_tokens_details)?.reasoning_tokens),
      };
    }
    if ('promptTokenCount' in u || 'candidatesTokenCount' in u) {
      return {
        inputTokens: num(u.promptTokenCount),
        outputTokens: num(u.candidatesTokenCount),
        cacheReadInputTokens: num(u.cachedContentTokenCount),
        reasoningOutputTokens: num(u.thoughtsTokenCount),
      };
    }
    if ('inputTokens' in u || 'outputTokens' in u) {
      return { inputTokens: num(u.inputTokens), outputTokens: num(u.outputTokens) };
    }
  }
  if ('prompt_eval_count' in r || 'eval_count' in r) {
    return { inputTokens: num(r.prompt_eval_count), outputTokens: num(r.eval_count) };
  }
  return undefined;
}

/** The provider's raw finish/stop reason, if the raw response carries one. */
export function rawFinishReason(raw: unknown): string | undefined {
  const r = rec(raw);
  if (!r) return undefined;
  const choice = Array.isArray(r.choices) ? rec(r.choices[0]) : undefined;
  const candidate = Array.isArray(r.candidates) ? rec(r.candidates[0]) : undefined;
  return (
    str(choice?.finish_reason) ??
    str(r.stop_reason) ??
    str(rec(r.delta)?.stop_reason) ??
    str(rec(r.message)?.stop_reason) ??
    str(candidate?.finishReason) ??
    str(r.done_reason) ??
    str(r.stopReason)
  );
}

export function responseIdOf(raw: unknown): string | undefined {
  const r = rec(raw);
  return str(r?.id) ?? str(rec(r?.message)?.id) ?? str(r?.responseId);
}

export function responseModelOf(raw: unknown): string | undefined {
  const r = rec(raw);
  return str(r?.model) ?? str(rec(r?.message)?.model) ?? str(r?.modelVersion);
}

export function hasToolCalls(message: unknown): boolean {
  const calls = rec(rec(message)?.options)?.toolCall;
  return Array.isArray(calls) && calls.length > 0;
}
