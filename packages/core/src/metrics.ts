import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  DURATION_BUCKETS,
  GEN_AI_TOKEN_TYPE,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  TOKEN_USAGE_BUCKETS,
} from './semconv.js';

/** The conventions' low-cardinality metric attributes; nothing else ever reaches a metric. */
export interface GenAIMetricAttributes {
  operation: string;
  provider?: string;
  requestModel?: string;
  responseModel?: string;
  errorType?: string;
}

/** The GenAI client metrics, created from one meter with the conventions' bucket advice. */
export class GenAIMetrics {
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly timeToFirstChunk: Histogram;

  constructor(readonly meter: Meter) {
    this.tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
    });
    this.duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
    this.timeToFirstChunk = meter.createHistogram(
      METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
      {
        description: 'Time to receive the first chunk of a streamed response',
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
      },
    );
  }

  recordDuration(seconds: number, attrs: GenAIMetricAttributes): void {
    if (Number.isFinite(seconds) && seconds >= 0)
      this.duration.record(seconds, this.attributeSets(attrs).duration);
  }

  recordTimeToFirstChunk(seconds: number, attrs: GenAIMetricAttributes): void {
    if (Number.isFinite(seconds) && seconds >= 0)
      this.timeToFirstChunk.record(seconds, this.attributeSets(attrs).withoutError);
  }

  recordTokens(
    input: number | undefined,
    output: number | undefined,
    attrs: GenAIMetricAttributes,
  ): void {
    const sets = this.attributeSets(attrs);
    if (isCount(input)) this.tokenUsage.record(input, sets.input);
    if (isCount(output)) this.tokenUsage.record(output, sets.output);
  }

  /**
   * Metric attribute objects are few (operation x provider x model x error type) and every call
   * needs the same ones: build each set once and reuse it. Bounded: cleared when it grows past
   * {@link MAX_ATTRIBUTE_SETS} (high-cardinality model names must not grow memory).
   */
  private readonly sets = new Map<string, AttributeSets>();

  private last: { a: GenAIMetricAttributes; sets: AttributeSets } | undefined;

  private attributeSets(a: GenAIMetricAttributes): AttributeSets {
    // Most processes use a handful of models: the previous call's set is usually the one.
    const last = this.last;
    if (
      last !== undefined &&
      last.a.operation === a.operation &&
      last.a.provider === a.provider &&
      last.a.requestModel === a.requestModel &&
      last.a.responseModel === a.responseModel &&
      last.a.errorType === a.errorType
    )
      return last.sets;
    const key = `${a.operation}\u0000${a.provider ?? ''}\u0000${a.requestModel ?? ''}\u0000${a.responseModel ?? ''}\u0000${a.errorType ?? ''}`;
    let sets = this.sets.get(key);
    if (sets === undefined) {
      const withoutError = toAttributes(a, false);
      sets = {
        duration: Object.freeze(toAttributes(a, true)),
        withoutError: Object.freeze(withoutError),
        input: Object.freeze({
          ...withoutError,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.INPUT,
        }),
        output: Object.freeze({
          ...withoutError,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.OUTPUT,
        }),
      };
      if (this.sets.size >= MAX_ATTRIBUTE_SETS) this.sets.clear();
      this.sets.set(key, sets);
    }
    this.last = { a: { ...a }, sets };
    return sets;
  }
}

interface AttributeSets {
  duration: Attributes;
  withoutError: Attributes;
  input: Attributes;
  output: Attributes;
}

const MAX_ATTRIBUTE_SETS = 1024;

function isCount(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

function toAttributes(a: GenAIMetricAttributes, withError = true): Attributes {
  const out: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: a.operation };
  if (a.provider) out[ATTR_GEN_AI_PROVIDER_NAME] = a.provider;
  if (a.requestModel) out[ATTR_GEN_AI_REQUEST_MODEL] = a.requestModel;
  if (a.responseModel) out[ATTR_GEN_AI_RESPONSE_MODEL] = a.responseModel;
  if (withError && a.errorType) out[ATTR_ERROR_TYPE] = a.errorType;
  return out;
}
