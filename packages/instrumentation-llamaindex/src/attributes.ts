import { ATTR_GENAI_OTEL_CANCELLED, type GenAISpan } from '@genai-otel/core';

/** Attributes of our own that describe LlamaIndex objects (prefixed: never collide with semconv). */
export const ATTR_LLAMAINDEX_CLASS = 'genai_otel.llamaindex.class';
/** Number of nodes handed to a response synthesizer. */
export const ATTR_LLAMAINDEX_NODE_COUNT = 'genai_otel.llamaindex.node_count';

/** Set on a span whose stream the consumer closed early or dropped before the end. */
export const ATTR_STREAM_ABANDONED = 'genai_otel.stream.abandoned';

/**
 * The consumer closed the span's stream early or dropped it: `genai_otel.stream.abandoned`,
 * and core's `genai_otel.cancelled` (the application stopped the operation; not an error),
 * which every genai-otel instrumentation sets for a cancelled call.
 */
export function markStreamAbandoned(span: GenAISpan): void {
  span.setAttribute(ATTR_STREAM_ABANDONED, true);
  span.setAttribute(ATTR_GENAI_OTEL_CANCELLED, true);
}
/** Number of chunks a traced stream delivered. */
export const ATTR_STREAM_CHUNKS = 'genai_otel.stream.chunk_count';
/** `gen_ai.embeddings.dimension.count` (semconv) */
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';
