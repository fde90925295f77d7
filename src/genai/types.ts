import type { MeterProvider } from '@opentelemetry/api';

/**
 * One message of a conversation, as message content capture records it.
 *
 * @category GenAI
 */
export interface GenAiMessage {
  /** Who wrote it: `system`, `user`, `assistant`, `tool`, ... */
  readonly role: string;
  /** Its text. */
  readonly content: string;
}

/**
 * What a GenAI request asks for: the `gen_ai.request.*` attributes of its span and metrics.
 *
 * @category GenAI
 */
export interface GenAiRequest {
  /** `gen_ai.request.model`: the model the client asked for. Validate it first: metrics carry it. */
  readonly model: string;
  /** `gen_ai.request.max_tokens`, when the client set a limit. */
  readonly maxTokens?: number;
  /** `gen_ai.request.temperature`, when the client set one. */
  readonly temperature?: number;
  /** `gen_ai.usage.input_tokens`, when the prompt's size is known before generation starts. */
  readonly inputTokens?: number;
  /** The conversation sent, oldest first. Recorded only when message content capture is on. */
  readonly messages?: readonly GenAiMessage[];
}

/**
 * What identifies a response: the `gen_ai.response.*` attributes known once generation starts.
 *
 * @category GenAI
 */
export interface GenAiResponse {
  /** `gen_ai.response.id`, e.g. the `id` of an OpenAI `chat.completion`. */
  readonly id?: string;
  /** `gen_ai.response.model`: the model that actually answered. */
  readonly model?: string;
}

/**
 * Token counts reported at once, e.g. from a backend's `usage` object. Each replaces the count so far.
 *
 * @category GenAI
 */
export interface GenAiUsage {
  /** `gen_ai.usage.input_tokens`. */
  readonly inputTokens?: number;
  /** `gen_ai.usage.output_tokens`. */
  readonly outputTokens?: number;
}

/**
 * How a turn ended; everything is optional.
 *
 * @category GenAI
 */
export interface GenAiOutcome {
  /** `gen_ai.response.finish_reasons`, one per choice: `stop`, `length`, ... */
  readonly finishReasons?: readonly string[];
  /** The answer, one message per choice. Recorded only when message content capture is on. */
  readonly messages?: readonly GenAiMessage[];
  /** `error.type` of the duration metric when the turn failed, e.g. an exception's class name or `500`. */
  readonly errorType?: string;
  /** Whether the client went away before the answer was complete: `drum.request.aborted` on the duration metric. */
  readonly aborted?: boolean;
}

/**
 * Options of {@link GenAiTelemetry}.
 *
 * @category GenAI
 */
export interface GenAiTelemetryOptions {
  /**
   * `gen_ai.provider.name`: who serves the model, as the conventions name providers (`openai`, `aws.bedrock`,
   * ...) or a name of your own (e.g. `datarobot`). Required: the conventions require it on every metric.
   */
  readonly providerName: string;
  /** `gen_ai.operation.name`. Default: `chat`. */
  readonly operationName?: string;
  /**
   * Whether spans record the conversation (`gen_ai.prompt*`, `gen_ai.completion.*`, `gen_ai.input.messages`,
   * `gen_ai.output.messages`). Messages may hold personal data, so the default is off unless the environment
   * variable `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` says `true` (or `SPAN_ONLY`,
   * `SPAN_AND_EVENT`); this option overrides it.
   */
  readonly captureMessageContent?: boolean;
  /** Whether to record the GenAI server metrics (see {@link GenAiMetrics}). Default: `true`. */
  readonly metrics?: boolean;
  /** The provider of the metrics' meter. Default: the global one, looked up when a measurement is recorded. */
  readonly meterProvider?: MeterProvider;
}

/**
 * Options of {@link GenAiMetrics}.
 *
 * @category GenAI
 */
export interface GenAiMetricsOptions {
  /** Default: the global provider, looked up when a measurement is recorded (until one is registered). */
  readonly meterProvider?: MeterProvider;
}

/**
 * One finished GenAI request, as {@link GenAiMetrics.record} records it.
 *
 * @category GenAI
 */
export interface GenAiMeasurement {
  /** `gen_ai.operation.name`, e.g. `chat`. */
  readonly operationName: string;
  /** `gen_ai.provider.name`. */
  readonly providerName: string;
  /** `gen_ai.request.model`. */
  readonly requestModel: string;
  /** `gen_ai.response.model`, when known. */
  readonly responseModel?: string;
  /** From the request's start to its last token or byte: `gen_ai.server.request.duration`. */
  readonly durationSeconds: number;
  /** From the request's start to its first output token: `gen_ai.server.time_to_first_token`, when one was made. */
  readonly timeToFirstTokenSeconds?: number;
  /** `gen_ai.client.token.usage` with `gen_ai.token.type` `input`, when known. */
  readonly inputTokens?: number;
  /** `gen_ai.client.token.usage` with `gen_ai.token.type` `output`, when known. */
  readonly outputTokens?: number;
  /** `error.type` when the request failed. No time to first token is recorded for a failed request. */
  readonly errorType?: string;
  /** `drum.request.aborted` on the duration: the client went away before the answer was complete. */
  readonly aborted?: boolean;
}
