import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link LlamaIndexInstrumentor}. */
export interface LlamaIndexInstrumentationConfig extends GenAIInstrumentationConfig {}
