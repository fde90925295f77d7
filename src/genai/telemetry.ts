import { INVALID_SPAN_CONTEXT, trace, type Span } from '@opentelemetry/api';
import { GEN_AI_OPERATION_NAME_VALUE_CHAT } from './semconv';
import { describeValue } from '../describe';
import { readCaptureMessageContent } from './content';
import { GenAiMetrics } from './metrics';
import { TurnRecorder, type GenAiTurn, type TurnSettings } from './turn';
import type { GenAiRequest, GenAiTelemetryOptions } from './types';

/** The span of a request that has none: records nothing, so a turn never checks for a missing span. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The GenAI semantic conventions for the routes of a model server that answer chat (or other GenAI)
 * requests: create one per server, then start a {@link GenAiTurn} per request inside the action. The turn
 * records on the action's span (the one `instrumentControllers` started, active while the action runs):
 * `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` / `max_tokens` / `temperature`,
 * `gen_ai.response.id` / `model` / `finish_reasons`, `gen_ai.usage.input_tokens` / `output_tokens`, an
 * {@link EVENT_DRUM_FIRST_TOKEN} event, and, when message content capture is on, the conversation under
 * DRUM's names: `gen_ai.prompt`, `gen_ai.prompt.<i>.role` / `.content`, `gen_ai.completion.<i>.role` /
 * `.content`, `gen_ai.input.messages` and `gen_ai.output.messages` (the conventions' JSON). It also records
 * the {@link GenAiMetrics} of each turn.
 *
 * @category GenAI
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import type { Request, Response } from 'express';
 * import { JsonController, Post, Req, Res } from 'routing-controllers';
 * import { GenAiTelemetry, Traced } from 'drum-otel';
 *
 * declare function generate(prompt: string, signal: AbortSignal): AsyncIterable<string>;
 *
 * const genAi = new GenAiTelemetry({ providerName: 'datarobot' });
 *
 * @JsonController()
 * export class ChatController {
 *   @Post('/chat/completions')
 *   @Traced('drum.chat.completions')
 *   async chat(@Req() request: Request, @Res() response: Response) {
 *     const { model, messages } = request.body as { model: string; messages: { role: string; content: string }[] };
 *     const turn = genAi.startTurn({ model, messages });
 *     turn.recordResponse({ id: 'chatcmpl-1', model });
 *     const aborted = new AbortController();
 *     response.on('close', () => aborted.abort());
 *     response.writeHead(200, { 'content-type': 'text/event-stream' });
 *     for await (const token of generate(messages[messages.length - 1].content, aborted.signal)) {
 *       turn.recordOutputTokens(1); // on the span at once: an aborted request's span still has the count
 *       response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: token } }] })}\n\n`);
 *     }
 *     turn.end(aborted.signal.aborted ? { aborted: true } : { finishReasons: ['stop'] });
 *     response.end('data: [DONE]\n\n');
 *     return response;
 *   }
 * }
 * ```
 */
export class GenAiTelemetry {
  /** `gen_ai.provider.name` of every turn. */
  readonly providerName: string;
  /** `gen_ai.operation.name` of every turn. */
  readonly operationName: string;
  /** Whether turns record message content: the option, else `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. */
  readonly captureMessageContent: boolean;
  private readonly settings: TurnSettings;

  /**
   * @param options - See {@link GenAiTelemetryOptions}.
   * @throws Error naming the option when `providerName` or `operationName` is not a non-empty string,
   *   `captureMessageContent` or `metrics` not a boolean, or `meterProvider` not a MeterProvider.
   */
  constructor(options: GenAiTelemetryOptions) {
    if (options === null || typeof options !== 'object') {
      throw new Error(`GenAiTelemetry: options must be an object with providerName, got ${describeValue(options)}`);
    }
    const { providerName, operationName = GEN_AI_OPERATION_NAME_VALUE_CHAT, captureMessageContent, metrics = true } = options;
    expectName('providerName', providerName);
    expectName('operationName', operationName);
    if (captureMessageContent !== undefined) expectBoolean('captureMessageContent', captureMessageContent);
    expectBoolean('metrics', metrics);
    this.providerName = providerName;
    this.operationName = operationName;
    this.captureMessageContent = captureMessageContent ?? readCaptureMessageContent(process.env);
    this.settings = {
      operationName,
      providerName,
      captureMessageContent: this.captureMessageContent,
      metrics: metrics ? new GenAiMetrics({ meterProvider: options.meterProvider }) : undefined,
    };
  }

  /**
   * Starts the telemetry of one request: sets the request attributes (and, with content capture, the
   * conversation) on `span`.
   *
   * @param request - What the client asked for; see {@link GenAiRequest}.
   * @param span - Default: the active span, i.e. the action's span inside a traced action. Without one,
   *   only the metrics are recorded.
   */
  startTurn(request: GenAiRequest, span: Span | undefined = trace.getActiveSpan()): GenAiTurn {
    return new TurnRecorder(this.settings, span ?? NO_SPAN, request);
  }
}

function expectName(option: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new Error(`GenAiTelemetry: ${option} must be a non-empty string, got ${describeValue(value)}`);
  }
}

function expectBoolean(option: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new Error(`GenAiTelemetry: ${option} must be a boolean, got ${describeValue(value)}`);
}
