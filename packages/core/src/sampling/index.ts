// Adaptive tail sampling (see SAMPLING.md).
export * from './attributes.js';
export { DDSketch } from './ddsketch.js';
export * from './env.js';
export * from './head-sampler.js';
export {
  ADAPTIVE_SAMPLING_DEFAULTS,
  AdaptiveSamplingSpanProcessor,
  defaultIsError,
  defaultKeyOf,
} from './processor.js';
export {
  parseOt,
  parseThreshold,
  serializeOt,
  type Threshold,
  thresholdForProbability,
} from './threshold.js';
export type * from './types.js';
