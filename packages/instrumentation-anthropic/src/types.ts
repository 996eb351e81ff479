import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link AnthropicInstrumentor}. */
export interface AnthropicInstrumentationConfig extends GenAIInstrumentationConfig {}
