import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link LangChainInstrumentor}. */
export interface LangChainInstrumentationConfig extends GenAIInstrumentationConfig {
  /**
   * Maximum number of LangChain runs tracked at once. When exceeded, the oldest open run is
   * ended (marked `genai_otel.langchain.run.abandoned=true`) and forgotten. Default 10 000.
   */
  maxOpenRuns?: number;
  /**
   * Runs still open after this many milliseconds are ended as abandoned (a crashed stream,
   * an iterator nobody finished). Default 30 minutes.
   */
  runTtlMs?: number;
  /**
   * Create spans for runs LangChain marks as internal (tag `langsmith:hidden`, e.g.
   * LangGraph's `__start__` and channel writes). Default `false`: their children attach to
   * the nearest visible ancestor.
   */
  traceHiddenRuns?: boolean;
}
