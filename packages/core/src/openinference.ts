import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ContentPolicy } from './content.js';
import type {
  InputMessage,
  MessagePart,
  OutputMessage,
  RetrievedDocument,
  ToolDefinition,
} from './messages.js';
import type { GenAISpanKind } from './semconv.js';
import * as sc from './semconv.js';
import { safeStringify } from './serialize.js';

/**
 * The one mapping from our GenAI attributes to OpenInference attributes (Arize Phoenix,
 * Langfuse and other OpenInference readers), used by every instrumentation when `semconv`
 * includes `'openinference'`. OpenInference attributes are added next to the GenAI ones (never
 * instead of them), at span end.
 *
 * `rename` rows are copied verbatim by {@link toOpenInference}; the other rows are derived
 * there (flattened lists, JSON strings, value mappings). `content` rows obey the content
 * policy exactly like their GenAI source (recorded only with capture on SPAN_ONLY /
 * SPAN_AND_EVENT, after the redact hook, truncated to `maxContentLength`). The README's
 * attribute table is generated from the same facts; a test checks they agree.
 */
export interface OpenInferenceMapping {
  /** GenAI (or `genai_otel.*`) source attribute. */
  genAI: string;
  /** OpenInference attribute; `N`/`M` stand for list indexes. */
  openInference: string;
  /** Span kinds the row applies to (all when absent). */
  kinds?: readonly GenAISpanKind[];
  /** Copied verbatim. */
  rename?: boolean;
  /** Opt-in content (policy applies). */
  content?: boolean;
  /** When the OpenInference attribute is set. */
  when: string;
}

const MODEL_KINDS: readonly GenAISpanKind[] = ['LLM'];

export const OPENINFERENCE_MAPPING: readonly OpenInferenceMapping[] = [
  {
    genAI: sc.ATTR_GENAI_OTEL_SPAN_KIND,
    openInference: 'openinference.span.kind',
    when: 'always (same value: LLM, EMBEDDING, RETRIEVER, RERANKER, TOOL, AGENT, CHAIN)',
  },
  {
    genAI: sc.ATTR_GEN_AI_PROVIDER_NAME,
    openInference: 'llm.provider',
    kinds: ['LLM'],
    when: 'provider known; values mapped (aws.bedrock→aws, azure.*→azure, gcp.*→google, mistral_ai→mistralai, x_ai→xai)',
  },
  {
    genAI: sc.ATTR_GEN_AI_PROVIDER_NAME,
    openInference: 'llm.system',
    kinds: ['LLM'],
    when: 'provider known; values mapped (azure.ai.openai→openai, aws.bedrock→amazon, gcp.vertex_ai→vertexai, ...)',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_RESPONSE_MODEL} ?? ${sc.ATTR_GEN_AI_REQUEST_MODEL}`,
    openInference: 'llm.model_name',
    kinds: ['LLM'],
    when: 'a model is known (response model preferred)',
  },
  {
    genAI: sc.ATTR_GEN_AI_REQUEST_MODEL,
    openInference: 'llm.request.model_name',
    kinds: ['LLM'],
    when: 'request and response model differ',
  },
  {
    genAI: sc.ATTR_GEN_AI_RESPONSE_MODEL,
    openInference: 'llm.response.model_name',
    kinds: ['LLM'],
    when: 'request and response model differ',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_RESPONSE_MODEL} ?? ${sc.ATTR_GEN_AI_REQUEST_MODEL}`,
    openInference: 'embedding.model_name',
    kinds: ['EMBEDDING'],
    when: 'a model is known',
  },
  {
    genAI: sc.ATTR_GEN_AI_REQUEST_MODEL,
    openInference: 'reranker.model_name',
    kinds: ['RERANKER'],
    when: 'a model is known',
  },
  {
    genAI:
      'gen_ai.request.{temperature,top_p,top_k,max_tokens,stop_sequences,frequency_penalty,presence_penalty,seed,stream}',
    openInference: 'llm.invocation_parameters',
    kinds: MODEL_KINDS,
    when: 'any request parameter set (JSON object)',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS}, ${sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT}`,
    openInference: 'embedding.invocation_parameters',
    kinds: ['EMBEDDING'],
    when: 'any embedding parameter set (JSON object)',
  },
  {
    genAI: sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
    openInference: 'llm.token_count.prompt',
    rename: true,
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
    openInference: 'llm.token_count.completion',
    rename: true,
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    openInference: 'llm.token_count.prompt_details.cache_read',
    rename: true,
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    openInference: 'llm.token_count.prompt_details.cache_write',
    rename: true,
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    openInference: 'llm.token_count.completion_details.reasoning',
    rename: true,
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS} + ${sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS}`,
    openInference: 'llm.token_count.total',
    when: 'usage recorded on this span (after de-dup)',
  },
  {
    genAI: sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
    openInference: 'llm.finish_reason',
    kinds: ['LLM'],
    when: 'finish reasons known (the first one)',
  },
  {
    genAI: sc.ATTR_GEN_AI_CONVERSATION_ID,
    openInference: 'session.id',
    rename: true,
    when: 'conversation id known (`session.id` wins when both are set)',
  },
  {
    genAI: sc.ATTR_SESSION_ID,
    openInference: 'session.id',
    rename: true,
    when: 'set via `withGenAIContext({ sessionId })`',
  },
  {
    genAI: sc.ATTR_USER_ID,
    openInference: 'user.id',
    rename: true,
    when: 'set via `withGenAIContext({ userId })`',
  },
  {
    genAI: `${sc.ATTR_GENAI_OTEL_METADATA_PREFIX}*`,
    openInference: 'metadata',
    when: 'set via `withGenAIContext({ metadata })` (JSON object)',
  },
  {
    genAI: sc.ATTR_GENAI_OTEL_TAGS,
    openInference: 'tag.tags',
    rename: true,
    when: 'set via `withGenAIContext({ tags })`',
  },
  {
    genAI: sc.ATTR_GEN_AI_AGENT_NAME,
    openInference: 'agent.name',
    rename: true,
    when: 'agent name known',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_NAME,
    openInference: 'tool.name',
    rename: true,
    when: 'tool name known',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_DESCRIPTION,
    openInference: 'tool.description',
    rename: true,
    when: 'tool description known',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_CALL_ID,
    openInference: 'tool.id',
    rename: true,
    when: 'tool call id known',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_CALL_ID,
    openInference: 'tool_call.id',
    rename: true,
    when: 'tool call id known',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_NAME,
    openInference: 'tool_call.function.name',
    kinds: ['TOOL'],
    when: 'tool name known',
  },
  {
    genAI: 'setTool({ parameters })',
    openInference: 'tool.parameters',
    kinds: ['TOOL'],
    when: "the tool's parameter schema is known (JSON, not content)",
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
    openInference: 'tool_call.function.arguments',
    kinds: ['TOOL'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS} + ${sc.ATTR_GEN_AI_INPUT_MESSAGES}`,
    openInference:
      'llm.input_messages.N.message.{role,content,name,tool_call_id,contents.M.message_content.*,tool_calls.M.tool_call.*}',
    kinds: ['LLM'],
    content: true,
    when: 'content capture on (system instructions become a leading `system` message)',
  },
  {
    genAI: sc.ATTR_GEN_AI_OUTPUT_MESSAGES,
    openInference:
      'llm.output_messages.N.message.{role,content,contents.M.*,tool_calls.M.tool_call.*}',
    kinds: ['LLM'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: sc.ATTR_GEN_AI_INPUT_MESSAGES,
    openInference: 'llm.prompts.N.prompt.text',
    kinds: ['LLM'],
    content: true,
    when: 'content capture on and operation `text_completion`',
  },
  {
    genAI: sc.ATTR_GEN_AI_OUTPUT_MESSAGES,
    openInference: 'llm.choices.N.completion.text',
    kinds: ['LLM'],
    content: true,
    when: 'content capture on and operation `text_completion`',
  },
  {
    genAI: sc.ATTR_GEN_AI_TOOL_DEFINITIONS,
    openInference: 'llm.tools.N.tool.{name,description,json_schema}',
    kinds: ['LLM'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_INPUT_MESSAGES} / ${sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS} / ${sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT} / ${sc.ATTR_GENAI_OTEL_INPUT}`,
    openInference: 'input.value, input.mime_type',
    content: true,
    when: 'content capture on (the span kind decides the source)',
  },
  {
    genAI: `${sc.ATTR_GEN_AI_OUTPUT_MESSAGES} / ${sc.ATTR_GEN_AI_TOOL_CALL_RESULT} / ${sc.ATTR_GENAI_OTEL_OUTPUT}`,
    openInference: 'output.value, output.mime_type',
    content: true,
    when: 'content capture on (the span kind decides the source)',
  },
  {
    genAI: sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
    openInference: 'retrieval.documents.N.document.{id,score}',
    kinds: ['RETRIEVER'],
    when: 'documents returned (ids and scores are not content)',
  },
  {
    genAI: sc.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
    openInference: 'retrieval.documents.N.document.{content,metadata}',
    kinds: ['RETRIEVER'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: sc.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT,
    openInference: 'reranker.query',
    kinds: ['RERANKER'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: sc.ATTR_GENAI_OTEL_RERANKER_TOP_K,
    openInference: 'reranker.top_k',
    kinds: ['RERANKER'],
    when: 'top-k known',
  },
  {
    genAI: 'setReranker({ inputDocuments, outputDocuments })',
    openInference: 'reranker.{input,output}_documents.N.document.{id,score}',
    kinds: ['RERANKER'],
    when: 'documents known',
  },
  {
    genAI: 'setReranker({ inputDocuments, outputDocuments })',
    openInference: 'reranker.{input,output}_documents.N.document.{content,metadata}',
    kinds: ['RERANKER'],
    content: true,
    when: 'content capture on',
  },
  {
    genAI: sc.ATTR_GENAI_OTEL_INPUT,
    openInference: 'embedding.embeddings.N.embedding.text',
    kinds: ['EMBEDDING'],
    content: true,
    when: 'content capture on (`setEmbeddings({ inputs })`)',
  },
];

/** Plain renames, derived from {@link OPENINFERENCE_MAPPING} (kept for compatibility). */
export const OPENINFERENCE_RENAMES: Readonly<Record<string, string>> = Object.fromEntries(
  OPENINFERENCE_MAPPING.filter((m) => m.rename && m.openInference !== 'tool_call.id').map((m) => [
    m.genAI,
    m.openInference,
  ]),
);

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

const EMBEDDING_PARAMETERS: Readonly<Record<string, string>> = {
  [sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: 'encoding_formats',
  [sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: 'dimensions',
};

/** The structured content a span collected (already permitted by the content policy). */
export interface CollectedContent {
  input?: unknown;
  output?: unknown;
  systemInstructions?: MessagePart[];
  inputMessages?: InputMessage[];
  outputMessages?: OutputMessage[];
  toolDefinitions?: ToolDefinition[];
  documents?: RetrievedDocument[];
  toolArguments?: unknown;
  toolResult?: unknown;
  /** JSON of the tool's parameter schema (not content). */
  toolParameters?: string;
  retrievalQuery?: string;
  embeddingInputs?: unknown[];
  rerankerQuery?: string;
  rerankerInputDocuments?: RetrievedDocument[];
  rerankerOutputDocuments?: RetrievedDocument[];
}

/** OpenInference `llm.system` (the AI product) for our provider names. */
export const OPENINFERENCE_LLM_SYSTEM: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  openai: 'openai',
  'azure.ai.openai': 'openai',
  'aws.bedrock': 'amazon',
  'gcp.vertex_ai': 'vertexai',
  'gcp.gemini': 'vertexai',
  'gcp.gen_ai': 'vertexai',
  cohere: 'cohere',
  mistral_ai: 'mistralai',
  deepseek: 'deepseek',
  x_ai: 'xai',
};

/** OpenInference `llm.provider` (the hosting provider) for our provider names. */
export const OPENINFERENCE_LLM_PROVIDER: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  openai: 'openai',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  'aws.bedrock': 'aws',
  'gcp.vertex_ai': 'google',
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  cohere: 'cohere',
  mistral_ai: 'mistralai',
  deepseek: 'deepseek',
  groq: 'groq',
  perplexity: 'perplexity',
  x_ai: 'xai',
};

const MAX_LISTED = 100;

/** Builds the OpenInference attributes for a span from its GenAI attributes and content. */
export function toOpenInference(
  kind: GenAISpanKind,
  genAI: Attributes,
  content: CollectedContent,
  policy: ContentPolicy,
): Attributes {
  const out: Attributes = { 'openinference.span.kind': kind };
  for (const m of OPENINFERENCE_MAPPING) {
    if (!m.rename || (m.kinds && !m.kinds.includes(kind))) continue;
    const v = genAI[m.genAI];
    if (v !== undefined) out[m.openInference] = v;
  }
  // session.id wins over the conversation id when both exist.
  if (genAI[sc.ATTR_SESSION_ID] !== undefined) out['session.id'] = genAI[sc.ATTR_SESSION_ID];

  const provider = genAI[sc.ATTR_GEN_AI_PROVIDER_NAME];
  if (kind === 'LLM' && typeof provider === 'string') {
    out['llm.provider'] = OPENINFERENCE_LLM_PROVIDER[provider] ?? provider;
    out['llm.system'] = OPENINFERENCE_LLM_SYSTEM[provider] ?? provider;
  }
  const requestModel = genAI[sc.ATTR_GEN_AI_REQUEST_MODEL];
  const responseModel = genAI[sc.ATTR_GEN_AI_RESPONSE_MODEL];
  const model = responseModel ?? requestModel;
  if (model !== undefined) {
    if (kind === 'EMBEDDING') out['embedding.model_name'] = model;
    else if (kind === 'RERANKER') out['reranker.model_name'] = model;
    else if (kind === 'LLM') {
      out['llm.model_name'] = model;
      if (
        requestModel !== undefined &&
        responseModel !== undefined &&
        requestModel !== responseModel
      ) {
        out['llm.request.model_name'] = requestModel;
        out['llm.response.model_name'] = responseModel;
      }
    }
  }

  const params = pick(genAI, kind === 'EMBEDDING' ? EMBEDDING_PARAMETERS : INVOCATION_PARAMETERS);
  if (params) {
    out[kind === 'EMBEDDING' ? 'embedding.invocation_parameters' : 'llm.invocation_parameters'] =
      JSON.stringify(params);
  }

  const input = genAI[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS];
  const output = genAI[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS];
  if (typeof input === 'number' || typeof output === 'number') {
    out['llm.token_count.total'] =
      (typeof input === 'number' ? input : 0) + (typeof output === 'number' ? output : 0);
  }
  const finish = genAI[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS];
  if (kind === 'LLM' && Array.isArray(finish) && typeof finish[0] === 'string')
    out['llm.finish_reason'] = finish[0];

  const metadata: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(genAI)) {
    if (k.startsWith(sc.ATTR_GENAI_OTEL_METADATA_PREFIX) && v !== undefined)
      metadata[k.slice(sc.ATTR_GENAI_OTEL_METADATA_PREFIX.length)] = v;
  }
  if (Object.keys(metadata).length > 0) out.metadata = safeStringify(metadata, { maxLength: 8192 });

  if (kind === 'TOOL') {
    const toolName = genAI[sc.ATTR_GEN_AI_TOOL_NAME];
    if (toolName !== undefined) out['tool_call.function.name'] = toolName;
    if (content.toolParameters !== undefined) out['tool.parameters'] = content.toolParameters;
  }
  if (kind === 'RERANKER') {
    const topK = genAI[sc.ATTR_GENAI_OTEL_RERANKER_TOP_K];
    if (topK !== undefined) out['reranker.top_k'] = topK;
  }

  // Document ids and scores are not content: always listed (content/metadata only with capture).
  const withContent = policy.onSpan;
  const put = (key: string, value: unknown) => {
    if (!withContent || value === undefined) return;
    const text = policy.render(key, value);
    if (text !== undefined) out[key] = text;
  };
  const putDocuments = (prefix: string, docs: RetrievedDocument[] | undefined) => {
    docs?.slice(0, MAX_LISTED).forEach((doc, i) => {
      if (doc === null || typeof doc !== 'object') return;
      const base = `${prefix}.${i}.document`;
      if (typeof doc.id === 'string' || typeof doc.id === 'number')
        out[`${base}.id`] = String(doc.id).slice(0, 256);
      if (typeof doc.score === 'number' && Number.isFinite(doc.score))
        out[`${base}.score`] = doc.score;
      put(`${base}.content`, doc.content);
      put(`${base}.metadata`, doc.metadata);
    });
  };

  putDocuments('retrieval.documents', content.documents);
  putDocuments('reranker.input_documents', content.rerankerInputDocuments);
  putDocuments('reranker.output_documents', content.rerankerOutputDocuments);
  if (!withContent) return out;
  const isTextCompletion =
    genAI[sc.ATTR_GEN_AI_OPERATION_NAME] === sc.GEN_AI_OPERATION.TEXT_COMPLETION;
  const inputMessages: InputMessage[] = [
    ...(content.systemInstructions ? [{ role: 'system', parts: content.systemInstructions }] : []),
    ...(content.inputMessages ?? []),
  ];
  if (content.inputMessages || content.systemInstructions) {
    flattenMessages('llm.input_messages', inputMessages, put);
    if (isTextCompletion) flattenTexts('llm.prompts', 'prompt.text', content.inputMessages, put);
    put('input.value', content.inputMessages ?? inputMessages);
    out['input.mime_type'] = 'application/json';
  }
  if (content.outputMessages) {
    flattenMessages('llm.output_messages', content.outputMessages, put);
    if (isTextCompletion)
      flattenTexts('llm.choices', 'completion.text', content.outputMessages, put);
    put('output.value', content.outputMessages);
    out['output.mime_type'] = 'application/json';
  }
  content.toolDefinitions?.slice(0, MAX_LISTED).forEach((tool, i) => {
    const base = `llm.tools.${i}.tool`;
    if (tool === null || typeof tool !== 'object') return;
    put(`${base}.name`, tool.name);
    put(`${base}.description`, tool.description);
    put(`${base}.json_schema`, safeStringify(tool, { maxLength: policy.maxLength * 2 }));
  });
  if (content.rerankerQuery !== undefined) put('reranker.query', content.rerankerQuery);
  content.embeddingInputs?.slice(0, MAX_LISTED).forEach((text, i) => {
    put(`embedding.embeddings.${i}.embedding.text`, text);
  });

  const putValue = (which: 'input' | 'output', value: unknown) => {
    if (value === undefined || out[`${which}.value`] !== undefined) return;
    put(`${which}.value`, value);
    if (out[`${which}.value`] !== undefined)
      out[`${which}.mime_type`] = typeof value === 'string' ? 'text/plain' : 'application/json';
  };
  if (content.toolArguments !== undefined) {
    put('tool_call.function.arguments', content.toolArguments);
    putValue('input', content.toolArguments);
  }
  putValue('output', content.toolResult);
  putValue('input', content.retrievalQuery ?? content.rerankerQuery);
  putValue('input', content.input ?? content.embeddingInputs);
  putValue('output', content.output);
  return out;
}

function pick(
  attrs: Attributes,
  names: Readonly<Record<string, string>>,
): Record<string, AttributeValue> | undefined {
  const params: Record<string, AttributeValue> = {};
  for (const [from, to] of Object.entries(names)) {
    const v = attrs[from];
    if (v !== undefined) params[to] = v;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

function flattenTexts(
  prefix: string,
  key: string,
  messages: InputMessage[] | undefined,
  put: (key: string, value: unknown) => void,
): void {
  messages?.slice(0, MAX_LISTED).forEach((m, i) => {
    const text = textOf(m);
    if (text !== undefined) put(`${prefix}.${i}.${key}`, text);
  });
}

function textOf(m: InputMessage): string | undefined {
  if (!m || !Array.isArray(m.parts)) return undefined;
  const texts = m.parts
    .filter(
      (p) => p && p.type === 'text' && typeof (p as { content?: unknown }).content === 'string',
    )
    .map((p) => (p as { content: string }).content);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function flattenMessages(
  prefix: string,
  messages: InputMessage[],
  put: (key: string, value: unknown) => void,
): void {
  messages.slice(0, MAX_LISTED).forEach((m, i) => {
    if (m === null || typeof m !== 'object') return;
    const base = `${prefix}.${i}.message`;
    put(`${base}.role`, m.role);
    if (typeof m.name === 'string') put(`${base}.name`, m.name);
    const texts: string[] = [];
    const contents: { type: string; text: string }[] = [];
    let toolCall = 0;
    for (const part of Array.isArray(m.parts) ? m.parts.slice(0, MAX_LISTED) : []) {
      if (part === null || typeof part !== 'object') continue;
      const p = part as MessagePart & Record<string, unknown>;
      if (p.type === 'text' && typeof p.content === 'string') {
        texts.push(p.content);
        contents.push({ type: 'text', text: p.content });
      } else if (p.type === 'reasoning' && typeof p.content === 'string') {
        contents.push({ type: 'reasoning', text: p.content });
      } else if (p.type === 'tool_call') {
        const tc = `${base}.tool_calls.${toolCall++}.tool_call`;
        if (p.id) put(`${tc}.id`, p.id);
        put(`${tc}.function.name`, p.name);
        if (p.arguments !== undefined) put(`${tc}.function.arguments`, safeStringify(p.arguments));
      } else if (p.type === 'tool_call_response') {
        if (p.id) put(`${base}.tool_call_id`, p.id);
        const text = safeStringify(p.response);
        texts.push(text);
        contents.push({ type: 'text', text });
      } else if (p.type === 'uri' && p.modality === 'image' && typeof p.uri === 'string') {
        contents.push({ type: 'image', text: p.uri });
      }
    }
    if (texts.length > 0) put(`${base}.content`, texts.join('\n'));
    // The per-part form only when it adds something (several parts, reasoning, images).
    if (contents.length > 1 || contents.some((c) => c.type !== 'text')) {
      contents.forEach((c, j) => {
        const cb = `${base}.contents.${j}.message_content`;
        put(`${cb}.type`, c.type);
        if (c.type === 'image') put(`${cb}.image.image.url`, c.text);
        else put(`${cb}.text`, c.text);
      });
    }
  });
}
