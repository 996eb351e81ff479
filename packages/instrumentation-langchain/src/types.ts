import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link LangChainInstrumentor}. */
export interface LangChainInstrumentationConfig extends GenAIInstrumentationConfig {}
