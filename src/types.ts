import type { Attributes, MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
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
 * The action a request reached, as drum-otel planned it: the same object for every request on one route.
 *
 * @category Bootstrap
 */
export interface ActionInfo {
  /** The controller class given to {@link instrumentControllers}. */
  readonly controller: Function;
  /** The name of the controller method that serves the route. */
  readonly method: string;
  /**
   * The route template as Express or Koa matched it, route prefix and controller route included
   * (`/api/models/:id`; on Koa without a trailing slash).
   */
  readonly route: string;
}

/**
 * What a {@link RequestHook} or {@link ResponseHook} is given: one object, so that hooks keep working when it
 * grows.
 *
 * @category Bootstrap
 */
export interface HookInfo {
  /**
   * The span of the request: drum-otel's own, or, with `internalSpan: false` beside
   * `@opentelemetry/instrumentation-http`, that instrumentation's SERVER span.
   */
  readonly span: Span;
  /** Node's request (Express's `req`, Koa's `ctx.req`). */
  readonly request: IncomingMessage;
  /** Node's response to it (Express's `res`, Koa's `ctx.res`). */
  readonly response: ServerResponse;
  /** The action the request reached. */
  readonly action: ActionInfo;
}

/**
 * Called when an action's span has started, before the request reaches the controller's middlewares and
 * the action. What it throws (or an async hook's rejection) is reported through OpenTelemetry's `diag`
 * logger; the request goes on.
 *
 * @category Bootstrap
 */
export type RequestHook = (info: HookInfo) => void;

/**
 * Called once the response is complete (or the connection closed), after the status attributes are set
 * and before drum-otel's span ends. What it throws is reported through `diag`; the span still ends. Not
 * called when drum-otel adds no span of its own (`internalSpan: false` beside instrumentation-http), whose
 * span that instrumentation ends.
 *
 * @category Bootstrap
 */
export type ResponseHook = (info: HookInfo) => void;

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
   * Not needed: the route prefix is learnt from the route Express or Koa matched, whatever `routePrefix` was
   * given to routing-controllers. Still accepted; when given, it only decides between two actions of one
   * controller whose routes end alike (`/predict/` and `/api/predict/` under the prefix `/api`).
   */
  routePrefix?: string;
  /**
   * First part of the default span name `<prefix>.<METHOD> <route template>`. Default: `drum`. An empty
   * prefix gives the HTTP conventions' name `<METHOD> <route template>` (`GET /orders/:id`), for apps that are
   * not DRUM model servers.
   */
  spanNamePrefix?: string;
  /**
   * Whether actions with neither `@Traced()` nor `@NoTrace()` (on the method or its class) get a span.
   * Default: `true`.
   */
  traceUndecorated?: boolean;
  /**
   * Attributes taken from the request headers. Default: {@link extractRequestHeaders}, the DataRobot
   * consumer identity headers. Called for spans that record: like the `@Traced` attributes, they are set after
   * the sampler decided, which sees the HTTP conventions' request attributes and the captured headers.
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
  /**
   * Whether the request comes through a proxy the application trusts: `url.scheme` is then taken from
   * `X-Forwarded-Proto` and `client.address` from the first `X-Forwarded-For` entry. Without it these
   * client-controlled headers are ignored, and the attributes describe the connection Node accepted.
   * Default: `false`.
   */
  trustProxy?: boolean;
  /**
   * Whether spans carry `http.request.body.size` and `http.response.body.size`, from each message's
   * `Content-Length` (absent for a body sent without one). Default: `false`.
   */
  recordBodySizes?: boolean;
  /**
   * Whether drum-otel starts its own INTERNAL span (`drum.*` name, DRUM attributes, status) under the SERVER
   * span of `@opentelemetry/instrumentation-http` when that is active. Either way that span gets
   * `http.route` and the name `<METHOD> <route>`; with `false` it also gets the DRUM request attributes and
   * is the span hooks see. Default: `true`.
   */
  internalSpan?: boolean;
  /**
   * Whether `http.server.request.duration` and `http.server.active_requests` are recorded for traced
   * actions (requests sampled out of tracing included; `@NoTrace()` actions never). Default: `true`.
   */
  metrics?: boolean;
  /**
   * Where the exception of an action that answered 5xx is recorded: `span-event` (an `exception` event on the
   * span), `logs` (one log record with event name `exception`, severity ERROR, `exception.type`,
   * `exception.message` and `exception.stacktrace`, in the span's context, through the OpenTelemetry Logs API),
   * or `logs/dup` (both), as the semantic conventions' `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` says. Overrides
   * that variable. Default: the variable, else `span-event`. With an `@opentelemetry/api` older than 1.10,
   * which has no Logs API, exceptions stay span events (one warning says so).
   */
  exceptionSignal?: ExceptionSignal;
  /**
   * The provider whose meter records the metrics. Default: the global provider, looked up again when it
   * changes, so one registered after `instrumentControllers` is used.
   */
  meterProvider?: MeterProvider;
}

/**
 * Where exceptions are recorded: as span events, as log records, or both (see
 * {@link InstrumentOptions.exceptionSignal}).
 *
 * @category Bootstrap
 * @example
 * ```ts
 * import { instrumentControllers, type ExceptionSignal } from 'drum-otel';
 *
 * class PredictionController {}
 * const exceptionSignal: ExceptionSignal = 'logs';
 * instrumentControllers([PredictionController], { exceptionSignal });
 * ```
 */
export type ExceptionSignal = 'span-event' | 'logs' | 'logs/dup';
