import type { Context, Span } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { applyOutcome, type RequestOutcome } from '../span';
import type { HookInfo } from '../types';
import { contain } from './contain';
import type { RequestMeasurement } from './metrics';
import type { RouteEntry } from './routes';
import { ATTR_HTTP_RESPONSE_BODY_SIZE, contentLength } from './server-attributes';
import type { Settings } from './settings';

// Symbol.for: a response traced by one copy of the library is not traced again by another.
const REQUEST_TRACE = Symbol.for('drum-otel.request-trace');

type Traceable = { [REQUEST_TRACE]?: RequestTrace };

/** The tracing of one request: what the action call and the end of the response need. */
export class RequestTrace {
  failed = false;
  error: unknown = undefined;
  /** Set when the client was found gone before the response was written (see the action call). */
  clientGone = false;

  constructor(
    readonly settings: Settings,
    readonly entry: RouteEntry,
    /** drum-otel's span, or instrumentation-http's when drum-otel adds none (`ownsSpan` false). */
    readonly span: Span,
    readonly ownsSpan: boolean,
    readonly context: Context,
    readonly measurement: RequestMeasurement | undefined,
    readonly hookInfo: HookInfo | undefined,
  ) {}

  recordFailure(error: unknown): void {
    this.failed = true;
    this.error = error;
  }
}

/** The trace of the request a response belongs to, if drum-otel traces it. */
export function requestTraceOf(response: ServerResponse | undefined): RequestTrace | undefined {
  return (response as Traceable | undefined)?.[REQUEST_TRACE];
}

/** Ties `requestTrace` to `response`, to be ended when the response closes. */
export function attachRequestTrace(response: ServerResponse, requestTrace: RequestTrace): void {
  (response as Traceable)[REQUEST_TRACE] = requestTrace;
  // A span the sampler dropped records nothing at its end: only a measurement or a responseHook still needs it.
  if (requestTrace.span.isRecording() || requestTrace.measurement !== undefined || requestTrace.settings.responseHook !== undefined) {
    response.on('close', endRequestTrace);
  }
}

function endRequestTrace(this: ServerResponse): void {
  const requestTrace = (this as Traceable)[REQUEST_TRACE]!;
  const outcome: RequestOutcome = {
    statusCode: this.headersSent ? this.statusCode : undefined,
    aborted: requestTrace.clientGone || !responseCompleted(this),
    failed: requestTrace.failed,
    error: requestTrace.error,
  };
  requestTrace.measurement?.end(outcome);
  // Beside instrumentation-http without a span of its own, drum-otel leaves the outcome to that instrumentation.
  if (!requestTrace.ownsSpan) return;
  const { span, settings } = requestTrace;
  applyOutcome(span, outcome, settings.exceptions, requestTrace.context);
  if (settings.recordBodySizes) {
    const size = contentLength(this.getHeader('content-length'));
    if (size !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_BODY_SIZE, size);
  }
  const hook = settings.responseHook;
  if (hook !== undefined) contain('responseHook', requestTrace.entry.plan.where, () => hook(requestTrace.hookInfo!));
  span.end();
}

/**
 * Whether the whole response went out. `writableFinished` alone is not enough: a response ended after its
 * connection was reset drops its bytes yet reads as finished. Node detaches the socket from a response only
 * once its `finish` event (every byte handed to the socket) has fired; a response closed by its connection
 * keeps it.
 */
function responseCompleted(response: ServerResponse): boolean {
  return response.writableFinished && response.socket === null;
}
