import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ContentPolicy } from './content.js';
import type { InputMessage, MessagePart, OutputMessage, RetrievedDocument } from './messages.js';
import type { GenAISpanKind } from './semconv.js';
import * as sc from './semconv.js';
import { safeStringify } from './serialize.js';

/**
 * The one mapping from our GenAI attributes to OpenInference attributes, used by every
 * instrumentation when `semconv` includes `'openinference'`. Plain renames are listed here;
 * structured values (messages, documents, invocation parameters, token totals) are expanded
 * by {@link toOpenInference}.
 */
export const OPENINFERENCE_RENAMES: Readonly<Record<string, string>> = {
  [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'llm.provider',
  [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 'llm.token_count.prompt',
  [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 'llm.token_count.completion',
  [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 'llm.token_count.prompt_details.cache_read',
  [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 'llm.token_count.prompt_details.cache_write',
  [sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 'llm.token_count.completion_details.reasoning',
  [sc.ATTR_GEN_AI_CONVERSATION_ID]: 'session.id',
  [sc.ATTR_SESSION_ID]: 'session.id',
  [sc.ATTR_USER_ID]: 'user.id',
  [sc.ATTR_GEN_AI_TOOL_NAME]: 'tool.name',
  [sc.ATTR_GEN_AI_TOOL_DESCRIPTION]: 'tool.description',
  [sc.ATTR_GEN_AI_TOOL_CALL_ID]: 'tool_call.id',
  [sc.ATTR_GEN_AI_AGENT_NAME]: 'agent.name',
};

/** Invocation parameters gathered into `llm.invocation_parameters` (JSON). */
const INVOCATION_PARAMETERS: Readonly<Record<string, string>> = {
  [sc.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 'temperature',
  [sc.ATTR_GEN_AI_REQUEST_TOP_P]: 'top_p',
  [sc.ATTR_GEN_AI_REQUEST_TOP_K]: 'top_k',
  [sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 'max_tokens',
  [sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: 'stop_sequences',
  [sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 'frequency_penalty',
  [sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: 'presence_penalty',
  [sc.ATTR_GEN_AI_REQUEST_SEED]: 'seed',
  [sc.ATTR_GEN_AI_REQUEST_STREAM]: 'stream',
};

/** The structured content a span collected (already permitted by the content policy). */
export interface CollectedContent {
  input?: unknown;
  output?: unknown;
  inputMessages?: InputMessage[];
  outputMessages?: OutputMessage[];
  documents?: RetrievedDocument[];
  toolArguments?: unknown;
  toolResult?: unknown;
  retrievalQuery?: string;
}

/** OpenInference provider (`llm.system`) values for our provider names. */
const OI_SYSTEM: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  openai: 'openai',
  'azure.ai.openai': 'openai',
  'aws.bedrock': 'amazon',
  'gcp.vertex_ai': 'vertexai',
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  cohere: 'cohere',
  mistral_ai: 'mistralai',
  deepseek: 'deepseek',
  x_ai: 'xai',
};

/** Builds the OpenInference attributes for a span from its GenAI attributes and content. */
export function toOpenInference(
  kind: GenAISpanKind,
  genAI: Attributes,
  content: CollectedContent,
  policy: ContentPolicy,
): Attributes {
  const out: Attributes = { 'openinference.span.kind': kind };
  for (const [from, to] of Object.entries(OPENINFERENCE_RENAMES)) {
    const v = genAI[from];
    if (v !== undefined) out[to] = v;
  }
  const provider = genAI[sc.ATTR_GEN_AI_PROVIDER_NAME];
  if (typeof provider === 'string') out['llm.system'] = OI_SYSTEM[provider] ?? provider;
  const model = genAI[sc.ATTR_GEN_AI_RESPONSE_MODEL] ?? genAI[sc.ATTR_GEN_AI_REQUEST_MODEL];
  if (model !== undefined)
    out[kind === 'EMBEDDING' ? 'embedding.model_name' : 'llm.model_name'] = model;

  const params: Record<string, AttributeValue> = {};
  for (const [from, to] of Object.entries(INVOCATION_PARAMETERS)) {
    const v = genAI[from];
    if (v !== undefined) params[to] = v;
  }
  if (Object.keys(params).length > 0) out['llm.invocation_parameters'] = JSON.stringify(params);

  const input = genAI[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS];
  const output = genAI[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS];
  if (typeof input === 'number' || typeof output === 'number') {
    out['llm.token_count.total'] =
      (typeof input === 'number' ? input : 0) + (typeof output === 'number' ? output : 0);
  }

  if (!policy.onSpan) return out;
  const put = (key: string, value: unknown) => {
    const text = policy.render(key, value);
    if (text !== undefined) out[key] = text;
  };
  if (content.inputMessages) {
    flattenMessages('llm.input_messages', content.inputMessages, put);
    put('input.value', content.inputMessages);
    out['input.mime_type'] = 'application/json';
  }
  if (content.outputMessages) {
    flattenMessages('llm.output_messages', content.outputMessages, put);
    put('output.value', content.outputMessages);
    out['output.mime_type'] = 'application/json';
  }
  if (content.documents) {
    content.documents.forEach((doc, i) => {
      const prefix = `retrieval.documents.${i}.document`;
      if (doc.id !== undefined) out[`${prefix}.id`] = doc.id;
      if (doc.score !== undefined) out[`${prefix}.score`] = doc.score;
      if (doc.content !== undefined) put(`${prefix}.content`, doc.content);
      if (doc.metadata !== undefined) put(`${prefix}.metadata`, doc.metadata);
    });
  }
  if (content.retrievalQuery !== undefined) put('input.value', content.retrievalQuery);
  if (content.toolArguments !== undefined) {
    put('input.value', content.toolArguments);
    put('tool.parameters', content.toolArguments);
  }
  if (content.toolResult !== undefined) put('output.value', content.toolResult);
  if (content.input !== undefined && out['input.value'] === undefined) {
    put('input.value', content.input);
    out['input.mime_type'] = typeof content.input === 'string' ? 'text/plain' : 'application/json';
  }
  if (content.output !== undefined && out['output.value'] === undefined) {
    put('output.value', content.output);
    out['output.mime_type'] =
      typeof content.output === 'string' ? 'text/plain' : 'application/json';
  }
  return out;
}

function flattenMessages(
  prefix: string,
  messages: InputMessage[],
  put: (key: string, value: unknown) => void,
): void {
  messages.forEach((m, i) => {
    const base = `${prefix}.${i}.message`;
    put(`${base}.role`, m.role);
    const texts: string[] = [];
    let toolCall = 0;
    for (const part of m.parts ?? []) {
      const p = part as MessagePart & Record<string, unknown>;
      if (p.type === 'text' && typeof p.content === 'string') texts.push(p.content);
      else if (p.type === 'tool_call') {
        const tc = `${base}.tool_calls.${toolCall++}.tool_call`;
        if (p.id) put(`${tc}.id`, p.id);
        put(`${tc}.function.name`, p.name);
        if (p.arguments !== undefined) put(`${tc}.function.arguments`, safeStringify(p.arguments));
      } else if (p.type === 'tool_call_response') {
        if (p.id) put(`${base}.tool_call_id`, p.id);
        texts.push(safeStringify(p.response));
      }
    }
    if (texts.length > 0) put(`${base}.content`, texts.join('\n'));
  });
}
