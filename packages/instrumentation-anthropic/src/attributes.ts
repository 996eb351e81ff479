/**
 * Attribute names this package records besides core's GenAI constants. The `anthropic.*`
 * names are the ones `@anthropic-ai/sdk` itself uses on its native spans, so a trace reads the
 * same whichever of the two produced it.
 */

/** The API's own `stop_reason` (the mapped value is in `gen_ai.response.finish_reasons`). */
export const ATTR_ANTHROPIC_STOP_REASON = 'anthropic.message.stop_reason';
/** `request-id` response header: what Anthropic support asks for. */
export const ATTR_ANTHROPIC_REQUEST_ID = 'anthropic.request.id';
/** Beta features requested (`betas` of `beta.messages.*`). */
export const ATTR_ANTHROPIC_BETA = 'anthropic.beta';
/** Service tier requested / used. */
export const ATTR_ANTHROPIC_REQUEST_SERVICE_TIER = 'anthropic.request.service_tier';
export const ATTR_ANTHROPIC_RESPONSE_SERVICE_TIER = 'anthropic.response.service_tier';
/** Extended thinking configuration of the request. */
export const ATTR_ANTHROPIC_THINKING_TYPE = 'anthropic.thinking.type';
export const ATTR_ANTHROPIC_THINKING_BUDGET_TOKENS = 'anthropic.thinking.budget_tokens';
/** Cache writes split by TTL, when the API reports them. */
export const ATTR_ANTHROPIC_CACHE_CREATION_5M =
  'anthropic.usage.cache_creation.ephemeral_5m_input_tokens';
export const ATTR_ANTHROPIC_CACHE_CREATION_1H =
  'anthropic.usage.cache_creation.ephemeral_1h_input_tokens';
/** Server tool use counts (web search, web fetch, code execution). */
export const ATTR_ANTHROPIC_SERVER_TOOL_USE_PREFIX = 'anthropic.usage.server_tool_use.';

/** HTTP facts of the logical call (stable HTTP conventions). */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** Number of retries the SDK made (attempts - 1), recorded only when it retried. */
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';

/**
 * Set (to true) when the application cancelled the call: it aborted the request, broke out of
 * the stream, or aborted the stream's controller. Shared with the other instrumentations (core).
 */
export { ATTR_GENAI_OTEL_CANCELLED } from '@genai-otel/core';
