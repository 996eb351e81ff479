import type { GenAIInstrumentationConfig } from '@genai-otel/core';

/** Options of {@link AnthropicInstrumentor}. */
export interface AnthropicInstrumentationConfig extends GenAIInstrumentationConfig {
  /**
   * What to do about the spans that `@anthropic-ai/sdk` 0.137+ and 1.x emit by themselves
   * (`anthropic.messages.create`, `anthropic.completions.create`) for the calls this
   * instrumentation traces.
   *
   * - `'replace'` (default): the SDK records on our `chat {model}` span instead of starting
   *   its own, so each call still has exactly one span. HTTP facts the SDK knows
   *   (`http.response.status_code`, `anthropic.request.id`, `url.*`, ...) land on our span;
   *   its content and `gen_ai.*` attributes do not (ours follow `captureContent`).
   * - `'keep'`: leave the SDK alone; its span becomes a child of ours (two spans per call).
   *
   * Calls we do not trace (`countTokens`, batches, models, files) keep the SDK's own spans.
   */
  nativeSpans?: 'replace' | 'keep';
}
