import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link LlamaIndexInstrumentor}. */
export interface LlamaIndexInstrumentationConfig extends GenAIInstrumentationConfig {
  /**
   * `gen_ai.provider.name` for an LLM or embedding model object. Return undefined to use the
   * built-in detection (known provider classes such as `Anthropic`, `OpenAI`, `Gemini`; any
   * other class is named after itself in lower case).
   */
  providerName?: (model: unknown) => string | undefined;
}
