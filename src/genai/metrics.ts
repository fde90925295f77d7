import { metrics, ValueType, type Attributes, type Histogram, type MeterProvider } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
} from './semconv';
import { describeValue } from '../describe';
import { ATTR_DRUM_REQUEST_ABORTED } from '../span';
import { VERSION } from '../version';
import type { GenAiBaseAttributes } from './attributes';
import type { GenAiMeasurement, GenAiMetricsOptions } from './types';

const METER_NAME = 'drum-otel';

/** The bucket boundaries the GenAI conventions advise for each histogram. */
export const REQUEST_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const TIME_TO_FIRST_TOKEN_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

interface Instruments {
  readonly provider: MeterProvider;
  readonly duration: Histogram;
  readonly timeToFirstToken: Histogram;
  readonly tokenUsage: Histogram;
}

/**
 * Records the GenAI model server metrics of the OpenTelemetry conventions for finished requests:
 * `gen_ai.server.request.duration` and `gen_ai.server.time_to_first_token` (histograms in seconds), and
 * `gen_ai.client.token.usage` (histogram of tokens per request, one point per `gen_ai.token.type`; the
 * conventions define no server-side token metric), each with the advised bucket boundaries and the
 * attributes `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`.
 * {@link GenAiTelemetry} records through one of these; use it directly when spans are recorded otherwise.
 *
 * @category GenAI
 * @example
 * ```ts
 * import { GenAiMetrics } from 'drum-otel';
 *
 * const genAiMetrics = new GenAiMetrics(); // the global MeterProvider
 * const started = performance.now();
 * // ... generate the answer ...
 * genAiMetrics.record({
 *   operationName: 'chat',
 *   providerName: 'datarobot',
 *   requestModel: 'my-llm',
 *   responseModel: 'my-llm-2024-06',
 *   durationSeconds: (performance.now() - started) / 1000,
 *   timeToFirstTokenSeconds: 0.12,
 *   inputTokens: 42,
 *   outputTokens: 17,
 * });
 * ```
 */
export class GenAiMetrics {
  private readonly meterProvider: MeterProvider | undefined;
  private instruments: Instruments | undefined;

  /**
   * @param options - See {@link GenAiMetricsOptions}.
   * @throws Error when `meterProvider` is not a MeterProvider.
   */
  constructor(options: GenAiMetricsOptions = {}) {
    const { meterProvider } = options;
    if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') {
      throw new Error(`GenAiMetrics: meterProvider must be a MeterProvider, got ${describeValue(meterProvider)}`);
    }
    this.meterProvider = meterProvider;
  }

  /** Records one finished request. The SDK drops a negative or non-number value with a `diag` warning. */
  record(measurement: GenAiMeasurement): void {
    const instruments = this.currentInstruments();
    const attributes = measurementAttributes(measurement);
    const failed = measurement.errorType !== undefined;
    instruments.duration.record(
      measurement.durationSeconds,
      failed || measurement.aborted === true ? outcomeAttributes(attributes, measurement) : attributes,
    );
    if (measurement.timeToFirstTokenSeconds !== undefined && !failed) {
      instruments.timeToFirstToken.record(measurement.timeToFirstTokenSeconds, attributes);
    }
    if (measurement.inputTokens !== undefined) {
      instruments.tokenUsage.record(measurement.inputTokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT });
    }
    if (measurement.outputTokens !== undefined) {
      instruments.tokenUsage.record(measurement.outputTokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT });
    }
  }

  /** The instruments of the given provider, or of the global one registered now (re-created when it changed). */
  private currentInstruments(): Instruments {
    const provider = this.meterProvider ?? metrics.getMeterProvider();
    if (this.instruments?.provider !== provider) this.instruments = createInstruments(provider);
    return this.instruments;
  }
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(METER_NAME, VERSION);
  return {
    provider,
    duration: meter.createHistogram(METRIC_GEN_AI_SERVER_REQUEST_DURATION, {
      description: 'Generative AI server request duration such as time-to-last byte or last output token.',
      unit: 's',
      advice: { explicitBucketBoundaries: REQUEST_DURATION_BUCKETS },
    }),
    timeToFirstToken: meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN, {
      description: 'Time to generate first token for successful responses.',
      unit: 's',
      advice: { explicitBucketBoundaries: TIME_TO_FIRST_TOKEN_BUCKETS },
    }),
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: TOKEN_USAGE_BUCKETS },
    }),
  };
}

/** The attributes every metric of a measurement carries. */
export function measurementAttributes(measurement: GenAiMeasurement): Attributes {
  const attributes: GenAiBaseAttributes = {
    'gen_ai.operation.name': measurement.operationName,
    'gen_ai.provider.name': measurement.providerName,
    'gen_ai.request.model': measurement.requestModel,
  };
  if (measurement.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = measurement.responseModel;
  return attributes;
}

/** The duration's attributes for a request that failed or was abandoned by its client. */
function outcomeAttributes(attributes: Attributes, measurement: GenAiMeasurement): Attributes {
  const outcome: Attributes = { ...attributes };
  if (measurement.errorType !== undefined) outcome[ATTR_ERROR_TYPE] = measurement.errorType;
  if (measurement.aborted === true) outcome[ATTR_DRUM_REQUEST_ABORTED] = true;
  return outcome;
}
