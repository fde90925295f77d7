import type { Attributes, Span, TracerProvider } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Request headers as the library reads them: Node's `IncomingHttpHeaders` (lower-case names,
 * `string | string[] | undefined` values) or any plain record whose names may be in any case.
 *
 * @category Attributes
 */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/**
 * Options of {@link Traced}. A plain string passed to `@Traced('name')` is the same as `{ name }`.
 *
 * @category Decorators
 */
export interface TracedOptions {
  /**
   * The whole span name, replacing the default `drum.<METHOD> <route template>`
   * (e.g. `drum.invocations`). Must be a non-empty string.
   */
  name?: string;
  /**
   * Attributes set on every span of the decorated action (or of every action of the decorated class),
   * computed once when the controllers are instrumented. On a method they are merged over its class's.
   */
  attributes?: Attributes;
}

/**
 * Called when an action's span has started, before the request reaches the controller's middlewares and
 * the action. What it throws is reported through OpenTelemetry's `diag` logger; the request goes on.
 *
 * @category Bootstrap
 */
export type RequestHook = (span: Span, request: IncomingMessage) => void;

/**
 * Called once the response is complete (or the connection closed), after the status attributes are set
 * and before the span ends. What it throws is reported through `diag`; the span still ends.
 *
 * @category Bootstrap
 */
export type ResponseHook = (span: Span, response: ServerResponse) => void;

/**
 * Computes attributes from the request headers (Node's lower-case `IncomingHttpHeaders`). What it
 * throws, or a result that is not an object, is reported through `diag` and ignored.
 *
 * @category Attributes
 */
export type HeaderAttributes = (headers: RequestHeaders) => Attributes;

/**
 * Options of {@link instrumentControllers}.
 *
 * @category Bootstrap
 */
export interface InstrumentOptions {
  /**
   * The provider whose tracer starts the spans. Default: the global provider, looked up when spans start
   * (until one is registered), so a provider registered after `instrumentControllers` (e.g. by
   * `setupOtel()` later in start-up) is used.
   */
  tracerProvider?: TracerProvider;
  /**
   * The `routePrefix` given to routing-controllers, so that span names and `http.route` carry the full
   * route template. Default: none.
   */
  routePrefix?: string;
  /** First part of the default span name `<prefix>.<METHOD> <route template>`. Default: `drum`. */
  spanNamePrefix?: string;
  /**
   * Whether actions with neither `@Traced()` nor `@NoTrace()` (on the method or its class) get a span.
   * Default: `true`.
   */
  traceUndecorated?: boolean;
  /**
   * Attributes taken from the request headers. Default: {@link extractRequestHeaders}, the DataRobot
   * consumer identity headers.
   */
  headerAttributes?: HeaderAttributes;
  /**
   * Request headers copied to `http.request.header.<lower-case-name>` attributes (`string[]` values).
   * Credentials (`Authorization`, `Cookie`, `Set-Cookie`, `Proxy-Authorization`, `X-Api-Key`, and any name
   * containing `token`, `secret`, `password` or `key`) are recorded as `[REDACTED]`. Default: none.
   */
  captureRequestHeaders?: readonly string[];
  /** See {@link RequestHook}. */
  requestHook?: RequestHook;
  /** See {@link ResponseHook}. */
  responseHook?: ResponseHook;
}
