/**
 * Our pinned copy of the OpenTelemetry GenAI semantic conventions (semconv 1.41.1 /
 * gen-ai 1.42.0). The `/incubating` constants in `@opentelemetry/semantic-conventions` are
 * deprecated and move between releases, so, as the OTel JS guidelines advise for unstable
 * conventions, the names we emit live here and change only when we decide they do.
 */

export const GENAI_SEMCONV_SCHEMA_URL = 'https://opentelemetry.io/schemas/gen-ai/1.42.0';

// --- gen_ai.operation.name values -------------------------------------------------------
export const GEN_AI_OPERATION = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
  GENERATE_CONTENT: 'generate_content',
  EMBEDDINGS: 'embeddings',
  RETRIEVAL: 'retrieval',
  EXECUTE_TOOL: 'execute_tool',
  CREATE_AGENT: 'create_agent',
  INVOKE_AGENT: 'invoke_agent',
  INVOKE_WORKFLOW: 'invoke_workflow',
} as const;
export type GenAIOperationName = (typeof GEN_AI_OPERATION)[keyof typeof GEN_AI_OPERATION];

// --- gen_ai.provider.name well-known values ----------------------------------------------
export const GEN_AI_PROVIDER = {
  ANTHROPIC: 'anthropic',
  OPENAI: 'openai',
  AWS_BEDROCK: 'aws.bedrock',
  AZURE_AI_OPENAI: 'azure.ai.openai',
  AZURE_AI_INFERENCE: 'azure.ai.inference',
  GCP_GEMINI: 'gcp.gemini',
  GCP_VERTEX_AI: 'gcp.vertex_ai',
  GCP_GEN_AI: 'gcp.gen_ai',
  COHERE: 'cohere',
  DEEPSEEK: 'deepseek',
  GROQ: 'groq',
  IBM_WATSONX_AI: 'ibm.watsonx.ai',
  MISTRAL_AI: 'mistral_ai',
  PERPLEXITY: 'perplexity',
  X_AI: 'x_ai',
} as const;

// --- attributes ---------------------------------------------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_DATA_SOURCE_ID = 'gen_ai.data_source.id';
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';

export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats';
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';

export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';

export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';

export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_DESCRIPTION = 'gen_ai.agent.description';
export const ATTR_GEN_AI_AGENT_VERSION = 'gen_ai.agent.version';
export const ATTR_GEN_AI_WORKFLOW_NAME = 'gen_ai.workflow.name';

export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_DESCRIPTION = 'gen_ai.tool.description';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
/** `gen_ai.tool.type` values. */
export const GEN_AI_TOOL_TYPE = {
  FUNCTION: 'function',
  EXTENSION: 'extension',
  DATASTORE: 'datastore',
} as const;
/** Opt-in content. */
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
/** Opt-in content. */
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
/** Opt-in content. */
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';

/** Opt-in content. */
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
/** Opt-in content. */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
/** Opt-in content. */
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

/** Opt-in content. */
export const ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT = 'gen_ai.retrieval.query.text';
/** `[{id, score}]` always; document content only when content capture is on. */
export const ATTR_GEN_AI_RETRIEVAL_DOCUMENTS = 'gen_ai.retrieval.documents';

/** `gen_ai.output.type` values. */
export const GEN_AI_OUTPUT_TYPE = {
  TEXT: 'text',
  JSON: 'json',
  IMAGE: 'image',
  SPEECH: 'speech',
} as const;

export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const GEN_AI_TOKEN_TYPE = { INPUT: 'input', OUTPUT: 'output' } as const;

export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

/** Context attributes that are not GenAI-specific but that every GenAI backend reads. */
export const ATTR_USER_ID = 'user.id';
export const ATTR_SESSION_ID = 'session.id';

/** Span event carrying content in EVENT_ONLY / SPAN_AND_EVENT capture modes. */
export const EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS =
  'gen_ai.client.inference.operation.details';

/** The conventions' fallback `error.type` when no better classification exists. */
export const ERROR_TYPE_OTHER = '_OTHER';

/** Output message finish reasons defined by the conventions' message schema. */
export const GEN_AI_FINISH_REASON = {
  STOP: 'stop',
  LENGTH: 'length',
  CONTENT_FILTER: 'content_filter',
  TOOL_CALL: 'tool_call',
  ERROR: 'error',
} as const;

// --- our own attributes (outside the conventions; prefixed so they never collide) ---------
/** Span-kind vocabulary for work the conventions do not name (see {@link GENAI_SPAN_KIND}). */
export const ATTR_GENAI_OTEL_SPAN_KIND = 'genai_otel.span.kind';
/** Document count on retrieval spans: always recorded, even with content capture off. */
export const ATTR_GENAI_OTEL_RETRIEVAL_DOCUMENT_COUNT = 'genai_otel.retrieval.document_count';
/**
 * Set (to true) when the application cancelled the operation: it aborted the call's signal,
 * broke out of its stream, or closed it. Cancellation is not an error: the status stays unset
 * and no `error.type` is recorded (so error rates and error-keeping samplers ignore it).
 */
export const ATTR_GENAI_OTEL_CANCELLED = 'genai_otel.cancelled';
/** Set on a framework LLM span whose tokens were already recorded by a provider span below it. */
export const ATTR_GENAI_OTEL_USAGE_RECORDED_BY_CHILD = 'genai_otel.usage.recorded_by_child';
/** Embedding batch size (number of inputs). */
export const ATTR_GENAI_OTEL_EMBEDDINGS_BATCH_SIZE = 'genai_otel.embeddings.batch_size';
/** The framework that produced the span (`langchain`, `llamaindex`, `anthropic`). */
export const ATTR_GENAI_OTEL_FRAMEWORK = 'genai_otel.framework';
/** Context metadata set via `withGenAIContext({ metadata })`. */
export const ATTR_GENAI_OTEL_METADATA_PREFIX = 'genai_otel.metadata.';
/** Context tags set via `withGenAIContext({ tags })` (string[]). */
export const ATTR_GENAI_OTEL_TAGS = 'genai_otel.tags';
/** Opt-in content: generic input of CHAIN/AGENT/EMBEDDING/RERANKER spans (`setInput`). */
export const ATTR_GENAI_OTEL_INPUT = 'genai_otel.input';
/** Opt-in content: generic output of CHAIN/AGENT/RERANKER spans (`setOutput`). */
export const ATTR_GENAI_OTEL_OUTPUT = 'genai_otel.output';
/** Reranker spans: the requested top-k. */
export const ATTR_GENAI_OTEL_RERANKER_TOP_K = 'genai_otel.reranker.top_k';
/** Reranker spans: number of input documents (always recorded). */
export const ATTR_GENAI_OTEL_RERANKER_INPUT_DOCUMENT_COUNT =
  'genai_otel.reranker.input_document_count';
/** Reranker spans: number of output documents (always recorded). */
export const ATTR_GENAI_OTEL_RERANKER_OUTPUT_DOCUMENT_COUNT =
  'genai_otel.reranker.output_document_count';

/**
 * Kinds of GenAI work, including the ones the conventions do not name (RERANKER, CHAIN).
 * Recorded as `genai_otel.span.kind` and mapped to `openinference.span.kind`.
 */
export const GENAI_SPAN_KIND = {
  LLM: 'LLM',
  EMBEDDING: 'EMBEDDING',
  RETRIEVER: 'RETRIEVER',
  RERANKER: 'RERANKER',
  TOOL: 'TOOL',
  AGENT: 'AGENT',
  CHAIN: 'CHAIN',
} as const;
export type GenAISpanKind = (typeof GENAI_SPAN_KIND)[keyof typeof GENAI_SPAN_KIND];

// --- metrics --------------------------------------------------------------------------------
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  'gen_ai.client.operation.time_to_first_chunk';
/** Defined by the conventions (v1.41); not recorded by genai-otel yet. */
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK =
  'gen_ai.client.operation.time_per_output_chunk';

/** Powers of 4 from 1 to 4^13 (the conventions' advice for token counts). */
export const TOKEN_USAGE_BUCKETS: readonly number[] = Array.from({ length: 14 }, (_, i) => 4 ** i);
/** 0.01 s doubling to 81.92 s (the conventions' advice for durations). */
export const DURATION_BUCKETS: readonly number[] = Array.from(
  { length: 14 },
  (_, i) => Math.round(0.01 * 2 ** i * 100) / 100,
);
