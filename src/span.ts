import { ROOT_CONTEXT, SpanStatusCode, type Attributes, type Context, type Logger, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  // The pre-1.21 name that DRUM's dashboards query; written beside the stable one.
  SEMATTRS_HTTP_STATUS_CODE as ATTR_HTTP_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';

/**
 * Set to `true` on the span (and the `http.server.request.duration` measurement) of a request whose client
 * closed the connection before the response was complete.
 *
 * @category Attributes
 */
export const ATTR_DRUM_REQUEST_ABORTED = 'drum.request.aborted';

/** Where an action's exception is recorded: an `exception` span event, a log record, or both. */
export interface ExceptionRecording {
  /** Whether the span gets an `exception` event. */
  readonly spanEvent: boolean;
  /** The logger an `exception` log record is emitted through, or `undefined` for none. */
  readonly logger: Logger | undefined;
}

const SPAN_EVENT_ONLY: ExceptionRecording = { spanEvent: true, logger: undefined };

/** SeverityNumber.ERROR, which @opentelemetry/api before 1.10 does not define. */
const SEVERITY_ERROR = 17;

/** `error.type` for an exception that is neither an `Error` nor carries a usable constructor name. */
const OTHER_ERROR_TYPE = '_OTHER';

/**
 * The default span name: `<prefix>.<METHOD> <route template>`, e.g. `drum.POST /predict/`; with an empty prefix
 * the HTTP conventions' `<METHOD> <route template>`.
 */
export function defaultSpanName(prefix: string, method: string, routeTemplate: string): string {
  return prefix === '' ? `${method} ${routeTemplate}` : `${prefix}.${method} ${routeTemplate}`;
}

/** A route as routing-controllers registers it with Express or Koa, as the low-cardinality template text. */
export function routeTemplate(route: string | RegExp): string {
  return typeof route === 'string' ? route : String(route);
}

/** What the end of a request tells its span. */
export interface RequestOutcome {
  /** The status code the client received, or `undefined` when no response head was sent. */
  readonly statusCode: number | undefined;
  /** Whether the connection closed before the response was complete. */
  readonly aborted: boolean;
  /** Whether the action threw or rejected, and with what. */
  readonly failed: boolean;
  readonly error: unknown;
}

/**
 * `error.type` of a finished request: for a 5xx, the class of the action's exception that produced it, or
 * else the status code; `undefined` for anything below 500 (a 4xx is the client's error, not the server's).
 */
export function outcomeErrorType(outcome: RequestOutcome): string | undefined {
  const { statusCode } = outcome;
  if (statusCode === undefined || statusCode < 500) return undefined;
  return outcome.failed ? errorType(outcome.error) : String(statusCode);
}

/**
 * Sets the status attributes and the span status for a finished request: ERROR only for 5xx (4xx stays
 * UNSET, as the HTTP conventions require of SERVER spans), with `error.type` and the exception, when the
 * action's own exception produced the 5xx, recorded as `exceptions` says (a log record in `context`, the span's).
 */
export function applyOutcome(
  span: Span,
  outcome: RequestOutcome,
  exceptions: ExceptionRecording = SPAN_EVENT_ONLY,
  context: Context = ROOT_CONTEXT,
): void {
  const { statusCode } = outcome;
  if (statusCode !== undefined) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    span.setAttribute(ATTR_HTTP_STATUS_CODE, statusCode);
  }
  if (outcome.aborted) span.setAttribute(ATTR_DRUM_REQUEST_ABORTED, true);
  const type = outcomeErrorType(outcome);
  if (type === undefined) return;
  span.setAttribute(ATTR_ERROR_TYPE, type);
  if (outcome.failed) {
    if (exceptions.spanEvent) recordException(span, outcome.error);
    exceptions.logger?.emit(exceptionLogRecord(outcome.error, context));
  }
  const message = outcome.failed ? errorMessage(outcome.error) : undefined;
  span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message });
}

/** `error.type` for an exception: its class name, or `_OTHER`. */
export function errorType(error: unknown): string {
  if (isError(error)) {
    const name = safely(() => error.constructor?.name);
    if (typeof name === 'string' && name !== '') return name;
  }
  return OTHER_ERROR_TYPE;
}

function errorMessage(error: unknown): string | undefined {
  const message = safely(() => (isError(error) ? error.message : typeof error === 'string' ? error : undefined));
  return typeof message === 'string' ? message : undefined;
}

/** `instanceof Error` that never throws (a proxy's `getPrototypeOf` trap may). */
function isError(error: unknown): error is Error {
  return safely(() => error instanceof Error) === true;
}

function recordException(span: Span, error: unknown): void {
  if (isError(error)) {
    const message = errorMessage(error);
    const stack = safely(() => error.stack);
    span.recordException({
      name: errorType(error),
      message: message ?? '',
      stack: typeof stack === 'string' ? stack : undefined,
    });
  } else if (typeof error === 'string') {
    span.recordException(error);
  } else {
    span.recordException({ name: OTHER_ERROR_TYPE, message: safely(() => String(error)) ?? '' });
  }
}

/**
 * The semantic conventions' exception event as a log record: event name `exception`, severity ERROR, and the
 * exception's type, message and stack trace, in `context` (the span's), so that it carries the span's ids.
 */
function exceptionLogRecord(error: unknown, context: Context) {
  const attributes: Attributes = { [ATTR_EXCEPTION_TYPE]: errorType(error) };
  const message = isError(error) ? errorMessage(error) : typeof error === 'string' ? error : safely(() => String(error));
  if (message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = message;
  const stack = isError(error) ? safely(() => error.stack) : undefined;
  if (typeof stack === 'string') attributes[ATTR_EXCEPTION_STACKTRACE] = stack;
  return { eventName: 'exception', severityNumber: SEVERITY_ERROR, severityText: 'ERROR', attributes, context };
}

/** Runs a getter of untrusted code (a hostile `message` getter, a throwing `toString`): never throws. */
function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
