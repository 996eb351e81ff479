// Adaptive tail sampling (see SAMPLING.md).
export * from './attributes.js';
export { DDSketch } from './ddsketch.js';
export * from './env.js';
export * from './head-sampler.js';
export { isGenAIEvent, TraceSampledLogRecordProcessor } from './log-records.js';
export {
  ADAPTIVE_SAMPLING_DEFAULTS,
  AdaptiveSamplingSpanProcessor,
  defaultIsError,
  defaultKeyOf,
} from './processor.js';
export {
  type AdaptiveSelectionOptions,
  type AttributeCondition,
  type AttributeScalar,
  type DestinationSelection,
  type DestinationSelectionStats,
  type RoutingDestination,
  type TraceRoutingOptions,
  TraceRoutingSpanProcessor,
  type TraceView,
} from './router.js';
export {
  parseOt,
  parseThreshold,
  serializeOt,
  type Threshold,
  thresholdForProbability,
} from './threshold.js';
export type * from './types.js';
