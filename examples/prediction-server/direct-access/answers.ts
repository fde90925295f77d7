import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../send-json';

/** DRUM's answer when the model runs on no OpenAI-compatible server. */
export const NOT_SUPPORTED_MESSAGE = 'This endpoint is only supported by OpenAI based predictors';

/**
 * Answers `{"message": ...}` with `status` and marks the request's span ERROR: drum-otel sets that status for
 * a 5xx itself, but DRUM's 400 of a predictor without a backend is an error of the deployment too.
 */
export function failDirectAccess(response: ServerResponse, status: number, message: string): void {
  trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message });
  if (response.headersSent) {
    // The backend's answer had started: all the client can still learn is that it was cut.
    response.destroy();
    return;
  }
  sendJson(response, status, { message });
}
