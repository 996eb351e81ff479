/** Attributes of our own that describe LlamaIndex objects (prefixed: never collide with semconv). */
export const ATTR_LLAMAINDEX_CLASS = 'genai_otel.llamaindex.class';
/** Number of nodes handed to a response synthesizer. */
export const ATTR_LLAMAINDEX_NODE_COUNT = 'genai_otel.llamaindex.node_count';
/** Set on a span whose stream the consumer closed early or dropped before the end. */
export const ATTR_STREAM_ABANDONED = 'genai_otel.stream.abandoned';
/** Number of chunks a traced stream delivered. */
export const ATTR_STREAM_CHUNKS = 'genai_otel.stream.chunk_count';
/** `gen_ai.embeddings.dimension.count` (semconv) */
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';
