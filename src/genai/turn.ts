import { diag, type Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from './semconv';
import { describeValue } from '../describe';
import { completionAttributes, genAiRequestAttributes, genAiResponseAttributes, promptAttributes } from './attributes';
import type { GenAiMetrics } from './metrics';
import type { GenAiOutcome, GenAiRequest, GenAiResponse, GenAiUsage } from './types';

/**
 * Set on a GenAI request's span when its first output token is made: the time to first token is the
 * event's time minus the span's start.
 *
 * @category GenAI
 */
export const EVENT_DRUM_FIRST_TOKEN = 'drum.first_token';

/**
 * The telemetry of one GenAI request (one turn of a conversation), from {@link GenAiTelemetry.startTurn}.
 * Everything it records goes on the span as soon as it is known, so a span that ends early (the client went
 * away) still carries the tokens made until then; the metrics are recorded by {@link GenAiTurn.end}.
 * A token count that is not a whole number >= 0, or a second `end()`, is reported through `diag` and ignored.
 *
 * @category GenAI
 */
export interface GenAiTurn {
  /** The span the turn records on (a non-recording one when there was none). */
  readonly span: Span;
  /** Output tokens counted so far. */
  readonly outputTokens: number;
  /** Sets `gen_ai.response.id` and `gen_ai.response.model`; the response model also goes on the metrics. */
  recordResponse(response: GenAiResponse): void;
  /** Marks the first output token (once; later calls change nothing): the span event and the time to first token. */
  recordFirstToken(): void;
  /** Adds output tokens as they are made (default 1) and updates `gen_ai.usage.output_tokens`; the first marks the first token. */
  recordOutputTokens(count?: number): void;
  /** Replaces the token counts with those reported at once, e.g. by a backend's `usage`. */
  recordUsage(usage: GenAiUsage): void;
  /** Records how the turn ended and its metrics. Call it once, also when the client went away. */
  end(outcome?: GenAiOutcome): void;
}

/** What a turn needs from its {@link GenAiTelemetry}, resolved once there. */
export interface TurnSettings {
  readonly operationName: string;
  readonly providerName: string;
  readonly captureMessageContent: boolean;
  readonly metrics: GenAiMetrics | undefined;
}

/** The one implementation of {@link GenAiTurn}. */
export class TurnRecorder implements GenAiTurn {
  outputTokens = 0;
  /** Whether output tokens were reported at all: a turn that never counts them records no output usage. */
  private outputCounted = false;
  private inputTokens: number | undefined;
  private responseModel: string | undefined;
  private readonly started = performance.now();
  private firstTokenAt: number | undefined;
  private ended = false;

  constructor(
    private readonly settings: TurnSettings,
    readonly span: Span,
    private readonly request: GenAiRequest,
  ) {
    this.inputTokens = request.inputTokens;
    if (!span.isRecording()) return;
    span.setAttributes(genAiRequestAttributes(settings.operationName, settings.providerName, request));
    if (settings.captureMessageContent && request.messages !== undefined) span.setAttributes(promptAttributes(request.messages));
  }

  recordResponse(response: GenAiResponse): void {
    if (response.model !== undefined) this.responseModel = response.model;
    if (this.span.isRecording()) this.span.setAttributes(genAiResponseAttributes(response));
  }

  recordFirstToken(): void {
    if (this.firstTokenAt !== undefined) return;
    this.firstTokenAt = performance.now();
    if (this.span.isRecording()) this.span.addEvent(EVENT_DRUM_FIRST_TOKEN);
  }

  recordOutputTokens(count = 1): void {
    if (!isTokenCount(count)) return reportInvalid('recordOutputTokens', count);
    this.outputCounted = true;
    if (count === 0) return;
    this.recordFirstToken();
    this.outputTokens += count;
    if (this.span.isRecording()) this.span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, this.outputTokens);
  }

  recordUsage(usage: GenAiUsage): void {
    const { inputTokens, outputTokens } = usage;
    if (inputTokens !== undefined) {
      if (!isTokenCount(inputTokens)) return reportInvalid('recordUsage inputTokens', inputTokens);
      this.inputTokens = inputTokens;
      if (this.span.isRecording()) this.span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, inputTokens);
    }
    if (outputTokens !== undefined) {
      if (!isTokenCount(outputTokens)) return reportInvalid('recordUsage outputTokens', outputTokens);
      this.outputCounted = true;
      this.outputTokens = outputTokens;
      if (this.span.isRecording()) this.span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, outputTokens);
    }
  }

  end(outcome: GenAiOutcome = {}): void {
    if (this.ended) {
      diag.warn('drum-otel: GenAiTurn.end() was called again for the same turn; ignored');
      return;
    }
    this.ended = true;
    if (this.span.isRecording()) this.recordOutcome(outcome);
    this.settings.metrics?.record({
      operationName: this.settings.operationName,
      providerName: this.settings.providerName,
      requestModel: this.request.model,
      responseModel: this.responseModel,
      durationSeconds: secondsSince(this.started),
      timeToFirstTokenSeconds: this.firstTokenAt === undefined ? undefined : (this.firstTokenAt - this.started) / 1000,
      inputTokens: this.inputTokens,
      outputTokens: this.outputCounted ? this.outputTokens : undefined,
      errorType: outcome.errorType,
      aborted: outcome.aborted,
    });
  }

  private recordOutcome(outcome: GenAiOutcome): void {
    const { finishReasons, messages } = outcome;
    if (finishReasons !== undefined) this.span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [...finishReasons]);
    if (this.settings.captureMessageContent && messages !== undefined) {
      this.span.setAttributes(completionAttributes(messages, finishReasons));
    }
  }
}

function isTokenCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function reportInvalid(where: string, value: unknown): void {
  diag.warn(`drum-otel: GenAiTurn.${where}: ${describeValue(value)} is not a token count (a whole number >= 0); ignored`);
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
