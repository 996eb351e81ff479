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
      this.duration.record(seconds, toAttributes(attrs));
  }

  recordTimeToFirstChunk(seconds: number, attrs: GenAIMetricAttributes): void {
    if (Number.isFinite(seconds) && seconds >= 0)
      this.timeToFirstChunk.record(seconds, toAttributes(attrs, false));
  }

  recordTokens(
    input: number | undefined,
    output: number | undefined,
    attrs: GenAIMetricAttributes,
  ): void {
    const base = toAttributes(attrs, false);
    if (isCount(input))
      this.tokenUsage.record(input, { ...base, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.INPUT });
    if (isCount(output))
      this.tokenUsage.record(output, {
        ...base,
        [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE.OUTPUT,
      });
  }
}

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
