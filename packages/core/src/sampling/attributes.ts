/** Why the trace was kept: `error`, `slow`, `baseline` or `overflow`. On every kept span. */
export const ATTR_SAMPLING_REASON = 'sampling.reason';
/** How many traces this one stands for (`1 / p`, matching `ot=th`). On every kept span. */
export const ATTR_SAMPLING_ADJUSTED_COUNT = 'sampling.adjusted_count';
/** Honeycomb/Refinery convention: `round(1 / p)`. On every kept span. */
export const ATTR_SAMPLE_RATE = 'SampleRate';
/** The decision was taken before the local trace was complete (limits, timeout, flush). */
export const ATTR_SAMPLING_INCOMPLETE = 'sampling.incomplete';
/** Local root only: the trace had an error span (before the root ended in annotate mode). */
export const ATTR_SAMPLING_ERROR = 'sampling.error';
/** Local root only: the root's duration exceeded the running latency quantile for its key. */
export const ATTR_SAMPLING_SLOW = 'sampling.slow';
/** Local root only: the latency threshold the root was compared against, ms. */
export const ATTR_SAMPLING_LATENCY_THRESHOLD_MS = 'sampling.latency_threshold_ms';
/** Local root only: the latency key. */
export const ATTR_SAMPLING_KEY = 'sampling.key';
/** Annotate mode, local root only: what the in-process policy would do (`keep`/`drop`). */
export const ATTR_SAMPLING_DECISION = 'sampling.decision';
