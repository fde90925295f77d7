import {
  context,
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ActionMetadata, getMetadataArgsStorage, type Action } from 'routing-controllers';
import { decisionFor, decoratedMethods, type TracingDecision } from './decorators';
import { describeValue } from './describe';
import {
  captureRequestHeaders,
  addLowerCaseIdentityAttributes,
  prepareHeaderCaptures,
  type HeaderCapture,
} from './headers';
import { applyOutcome, defaultSpanName, requestAttributes, routeTemplate } from './span';
import type { HeaderAttributes, InstrumentOptions, RequestHook, ResponseHook } from './types';
import { VERSION } from './version';

type MetadataStorage = ReturnType<typeof getMetadataArgsStorage>;
type ActionArgs = MetadataStorage['actions'][number];
type MethodOverride = NonNullable<ActionArgs['methodOverride']>;
type ExpressRoute = { readonly path: string | RegExp; readonly methods: Readonly<Record<string, boolean>> };
type RoutedRequest = IncomingMessage & { route?: ExpressRoute; originalUrl?: string };
type Middleware = (request: RoutedRequest, response: ServerResponse, next: (error?: unknown) => void) => void;

const INSTRUMENTATION_NAME = 'drum-otel';
// Symbol.for: two copies of the library in one process must recognise each other's marks.
const INSTRUMENTED = Symbol.for('drum-otel.instrumented');
const OVERRIDDEN = Symbol.for('drum-otel.method-override');
const REQUEST_TRACE = Symbol.for('drum-otel.request-trace');
const ORIGINAL_METHOD = Symbol.for('drum-otel.original-method');

/** Everything about the options that does not depend on a request, resolved once. */
interface Settings {
  readonly tracer: Tracer;
  readonly routePrefix: string;
  readonly spanNamePrefix: string;
  readonly traceUndecorated: boolean;
  /** The user's `headerAttributes`; without one, the identity headers are read straight into the attributes. */
  readonly headerAttributes: HeaderAttributes | undefined;
  readonly headerCaptures: readonly HeaderCapture[];
  readonly requestHook: RequestHook | undefined;
  readonly responseHook: ResponseHook | undefined;
}

/** Everything about one action that does not depend on a request, computed when it is instrumented. */
interface ActionPlan {
  readonly where: string;
  readonly method: string;
  readonly traced: boolean;
  /** The action's method as Express names it: `get`, `post`, ..., or `all`. */
  readonly routeMethod: string;
  /** The action's HTTP method as requests spell it: `GET`, `POST`, ..., or `ALL`. */
  readonly httpMethod: string;
  /** The route as routing-controllers registers it with Express (route prefix included), as template text. */
  readonly route: string;
  /** The `@Traced` name, or the default name for requests with the action's own method. */
  readonly spanName: string;
  /** Whether `spanName` is the `@Traced` name, which is the same whatever the request's method. */
  readonly namedByDecorator: boolean;
  readonly attributes: Readonly<Attributes>;
  readonly hasAttributes: boolean;
}

/** The tracing of one request: what the action override and the response listener need. */
class RequestTrace {
  failed = false;
  error: unknown = undefined;
  constructor(
    readonly span: Span,
    readonly context: Context,
    readonly responseHook: ResponseHook | undefined,
  ) {}
}

/**
 * Makes each action of the given routing-controllers controllers run inside an OpenTelemetry span, as
 * their `@Traced()` / `@NoTrace()` decorators (and `traceUndecorated`) say. Call it before
 * `createExpressServer` / `useExpressServer` builds the routes; it returns the same array, so it can be
 * written inline. Calling it again for the same controllers changes nothing.
 *
 * Each traced request gets one span named `drum.<METHOD> <route template>` (or its `@Traced` name), of kind
 * SERVER with its parent taken from the request headers by the global propagator, or of kind INTERNAL
 * under the active span when one exists (e.g. `@opentelemetry/instrumentation-http`'s). It starts before the
 * controller's middlewares run and ends when the response is complete, with the status code the client
 * received.
 *
 * @param controllers - Controller classes decorated with `@Controller()` or `@JsonController()`.
 * @param options - See {@link InstrumentOptions}.
 * @returns `controllers`, unchanged.
 * @throws Error naming the class, method or option at fault when a controller is not a class or has no
 *   controller decorator, when an action has both `@Traced()` and `@NoTrace()`, when a decorated method is
 *   not an action, or when an option has the wrong type. Nothing is instrumented then.
 * @category Bootstrap
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { createExpressServer, Get, JsonController, Post } from 'routing-controllers';
 * import { instrumentControllers, NoTrace, Traced } from 'drum-otel';
 *
 * @JsonController()
 * class PredictionController {
 *   @Post('/predict/')
 *   @Traced('drum.invocations')
 *   predict() {
 *     return { predictions: [] };
 *   }
 * }
 *
 * @NoTrace()
 * @JsonController()
 * class HealthController {
 *   @Get('/ping/')
 *   ping() {
 *     return { message: 'OK' };
 *   }
 * }
 *
 * const app = createExpressServer({
 *   controllers: instrumentControllers([PredictionController, HealthController]),
 * });
 * app.listen(8080);
 * ```
 */
export function instrumentControllers<T extends Function>(controllers: T[], options: InstrumentOptions = {}): T[] {
  if (!Array.isArray(controllers)) {
    throw new Error(`instrumentControllers: controllers must be an array of controller classes, got ${describeValue(controllers)}`);
  }
  const settings = resolveSettings(options);
  const storage = getMetadataArgsStorage();
  // Plan everything first: a mistake in any controller throws before anything is changed.
  const planned = controllers
    .filter((controller, index) => assertController(storage, controller, index) && !isInstrumented(controller))
    .map((controller) => ({ controller, actions: planController(storage, settings, controller) }));
  for (const { controller, actions } of planned) {
    installController(storage, settings, controller, actions);
  }
  return controllers;
}

function resolveSettings(options: InstrumentOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new Error(`instrumentControllers: options must be an object, got ${describeValue(options)}`);
  }
  const { tracerProvider, routePrefix = '', spanNamePrefix = 'drum', traceUndecorated = true } = options;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') {
    throw new Error(`instrumentControllers: tracerProvider must be a TracerProvider, got ${describeValue(tracerProvider)}`);
  }
  expectType('routePrefix', routePrefix, 'string');
  expectType('spanNamePrefix', spanNamePrefix, 'string');
  if (spanNamePrefix === '') throw new Error('instrumentControllers: spanNamePrefix must not be empty');
  expectType('traceUndecorated', traceUndecorated, 'boolean');
  for (const hook of ['headerAttributes', 'requestHook', 'responseHook'] as const) {
    if (options[hook] !== undefined) expectType(hook, options[hook], 'function');
  }
  return {
    // The proxy tracer of the global provider resolves the provider registered at the time a span starts.
    tracer: (tracerProvider ?? trace).getTracer(INSTRUMENTATION_NAME, VERSION),
    routePrefix,
    spanNamePrefix,
    traceUndecorated,
    headerAttributes: options.headerAttributes,
    headerCaptures: prepareHeaderCaptures(options.captureRequestHeaders),
    requestHook: options.requestHook,
    responseHook: options.responseHook,
  };
}

function expectType(option: string, value: unknown, type: string): void {
  if (typeof value !== type) {
    throw new Error(`instrumentControllers: ${option} must be a ${type}, got ${typeof value} ${describeValue(value)}`);
  }
}

function assertController(storage: MetadataStorage, controller: unknown, index: number): controller is Function {
  if (typeof controller !== 'function') {
    throw new Error(`instrumentControllers: controllers[${index}] is not a class, got ${describeValue(controller)}`);
  }
  if (!storage.controllers.some((args) => args.target === controller)) {
    throw new Error(
      `instrumentControllers: ${controller.name || `controllers[${index}]`} is not a routing-controllers controller ` +
        '(decorate it with @Controller() or @JsonController())',
    );
  }
  return true;
}

function isInstrumented(controller: Function): boolean {
  return Object.prototype.hasOwnProperty.call(controller, INSTRUMENTED);
}

/** The plans of an instrumented controller's actions, by method name. */
function plansOf(controller: Function): ReadonlyMap<string, ActionPlan> | undefined {
  return (controller as { [INSTRUMENTED]?: ReadonlyMap<string, ActionPlan> })[INSTRUMENTED];
}

/**
 * The actions routing-controllers will build for `controller`, as its `MetadataBuilder` finds them: its own
 * (several routes may share a method), then those of its bases whose method it does not override.
 */
function actionArgsOf(storage: MetadataStorage, controller: Function): ActionArgs[] {
  const actions: ActionArgs[] = [];
  for (let target: unknown = controller; typeof target === 'function'; target = Object.getPrototypeOf(target)) {
    const overridden = new Set(actions.map((action) => action.method));
    actions.push(...storage.actions.filter((args) => args.target === target && !overridden.has(args.method)));
  }
  return actions;
}

function planController(storage: MetadataStorage, settings: Settings, controller: Function): Map<ActionArgs, ActionPlan> {
  const controllerArgs = storage.controllers.find((args) => args.target === controller)!;
  const actions = actionArgsOf(storage, controller);
  for (const method of decoratedMethods(controller)) {
    if (!actions.some((action) => action.method === method)) {
      throw new Error(
        `${controller.name}.${method} has @Traced() or @NoTrace() but is not a routing-controllers action ` +
          '(add @Get(), @Post(), ... or remove the tracing decorator)',
      );
    }
  }
  return new Map(actions.map((args) => [args, planAction(settings, controller, controllerArgs.route, args)]));
}

function planAction(settings: Settings, controller: Function, controllerRoute: string | undefined, args: ActionArgs): ActionPlan {
  const where = `${controller.name}.${args.method}`;
  const decision: TracingDecision = decisionFor(controller, args.method) ?? {
    traced: settings.traceUndecorated,
    settings: { name: undefined, attributes: {} },
  };
  const route = routeTemplate(ActionMetadata.appendBaseRoute(settings.routePrefix, fullRoute(controllerRoute, args.route)));
  const httpMethod = args.type.toUpperCase();
  const tracedSettings = decision.traced ? decision.settings : { name: undefined, attributes: {} };
  return {
    where,
    method: args.method,
    traced: decision.traced,
    routeMethod: args.type.toLowerCase(),
    httpMethod,
    route,
    spanName: tracedSettings.name ?? defaultSpanName(settings.spanNamePrefix, httpMethod, route),
    namedByDecorator: tracedSettings.name !== undefined,
    attributes: tracedSettings.attributes,
    hasAttributes: Object.keys(tracedSettings.attributes).length > 0,
  };
}

/** The action's route below the controller's, as routing-controllers' `ActionMetadata` builds it. */
function fullRoute(controllerRoute: string | undefined, actionRoute: string | RegExp): string | RegExp {
  if (actionRoute instanceof RegExp) {
    return controllerRoute ? ActionMetadata.appendBaseRoute(controllerRoute, actionRoute) : actionRoute;
  }
  return `${controllerRoute ?? ''}${actionRoute ?? ''}`;
}

function installController(
  storage: MetadataStorage,
  settings: Settings,
  controller: Function,
  actions: Map<ActionArgs, ActionPlan>,
): void {
  const plans = [...actions.values()];
  Object.defineProperty(controller, INSTRUMENTED, { value: new Map(plans.map((plan) => [plan.method, plan])) });
  if (plans.some((plan) => plan.traced)) {
    registerFirstMiddleware(storage, controller, requestMiddleware(settings, controller, plans));
  }
  for (const [args, plan] of actions) {
    overrideActionCall(args);
    if (plan.traced) watchForUntracedCalls(controller, plan);
  }
}

/**
 * Registers `middleware` before the controller's own `@UseBefore` middlewares, so that a request they reject
 * (an authentication middleware's 401, say) still has its span.
 */
function registerFirstMiddleware(storage: MetadataStorage, controller: Function, middleware: Middleware): void {
  const first = storage.uses.findIndex((use) => use.target === controller && use.method === undefined);
  const use = { target: controller, method: undefined as unknown as string, middleware, afterAction: false };
  if (first === -1) storage.uses.push(use);
  else storage.uses.splice(first, 0, use);
}

/**
 * The controller-wide middleware that starts a request's span. It finds the action through the Express
 * route the request matched: one lookup per request, the plan having been computed per action already.
 */
function requestMiddleware(settings: Settings, controller: Function, plans: readonly ActionPlan[]): Middleware {
  const planByRoute = new WeakMap<ExpressRoute, ActionPlan>();
  const planFor = (route: ExpressRoute): ActionPlan => {
    let plan = planByRoute.get(route);
    if (plan === undefined) {
      plan = matchPlan(settings, controller, plans, route);
      planByRoute.set(route, plan);
    }
    return plan;
  };
  return function drumOtelRequest(request, response, next) {
    const route = request.route;
    if (route === undefined || (response as Traceable)[REQUEST_TRACE] !== undefined) return next();
    const plan = planFor(route);
    if (!plan.traced) return next();
    const requestTrace = startRequestTrace(settings, plan, request);
    (response as Traceable)[REQUEST_TRACE] = requestTrace;
    // A span the sampler dropped records nothing at its end: only a responseHook still has to see the response.
    if (requestTrace.span.isRecording() || settings.responseHook !== undefined) response.on('close', endRequestTrace);
    context.with(requestTrace.context, next);
  };
}

function matchPlan(settings: Settings, controller: Function, plans: readonly ActionPlan[], route: ExpressRoute): ActionPlan {
  const path = routeTemplate(route.path);
  const match = plans.find((plan) => routeServesMethod(route, plan.routeMethod) && plan.route === path);
  if (match !== undefined) return match;
  diag.warn(
    `drum-otel: no action of ${controller.name} has the route ${path}; is routePrefix ` +
      `(${JSON.stringify(settings.routePrefix)}) the one given to routing-controllers? Requests on it are not traced.`,
  );
  return { ...plans[0], traced: false, where: `${controller.name} ${path}` };
}

/** Whether an Express route serves an action's method; `app.all()` registers a route with every method. */
function routeServesMethod(route: ExpressRoute, routeMethod: string): boolean {
  if (routeMethod !== 'all') return route.methods[routeMethod] === true;
  return route.methods._all === true || Object.keys(route.methods).length > 1;
}

type Traceable = { [REQUEST_TRACE]?: RequestTrace };

function startRequestTrace(settings: Settings, plan: ActionPlan, request: RoutedRequest): RequestTrace {
  const active = context.active();
  const nested = trace.getSpan(active) !== undefined;
  const parent = nested ? active : propagation.extract(active, request.headers);
  const method = request.method ?? 'GET';
  const span = settings.tracer.startSpan(
    spanNameFor(settings, plan, method),
    { kind: nested ? SpanKind.INTERNAL : SpanKind.SERVER, attributes: startAttributes(settings, plan, request, method) },
    parent,
  );
  if (settings.requestHook !== undefined) {
    contain('requestHook', plan, () => settings.requestHook!(span, request));
  }
  return new RequestTrace(span, trace.setSpan(parent, span), settings.responseHook);
}

function spanNameFor(settings: Settings, plan: ActionPlan, method: string): string {
  // Only HEAD on a GET route and @All actions see other methods than their own: name those per request.
  return plan.namedByDecorator || plan.httpMethod === method
    ? plan.spanName
    : defaultSpanName(settings.spanNamePrefix, method, plan.route);
}

function startAttributes(settings: Settings, plan: ActionPlan, request: RoutedRequest, method: string): Attributes {
  const attributes = requestAttributes(method, plan.route, request.originalUrl ?? request.url ?? '');
  const headers = request.headers;
  if (settings.headerAttributes === undefined) addLowerCaseIdentityAttributes(headers, attributes);
  else addCustomHeaderAttributes(settings.headerAttributes, plan, headers, attributes);
  if (settings.headerCaptures.length > 0) captureRequestHeaders(headers, settings.headerCaptures, attributes);
  if (plan.hasAttributes) Object.assign(attributes, plan.attributes);
  return attributes;
}

function addCustomHeaderAttributes(
  headerAttributes: HeaderAttributes,
  plan: ActionPlan,
  headers: IncomingMessage['headers'],
  attributes: Attributes,
): void {
  const computed = contain('headerAttributes', plan, () => headerAttributes(headers));
  if (computed === undefined) return;
  // Copied whole or not at all: a throwing getter or proxy trap in the result must not break the request.
  contain('headerAttributes', plan, () => {
    if (computed === null || typeof computed !== 'object' || Array.isArray(computed) || isPromiseLike(computed)) {
      diag.error(`drum-otel: headerAttributes returned ${describeValue(computed)}, not an object; ignored`);
    } else {
      Object.assign(attributes, Object.assign({}, computed));
    }
  });
}

function endRequestTrace(this: ServerResponse): void {
  const requestTrace = (this as Traceable)[REQUEST_TRACE]!;
  const span = requestTrace.span;
  applyOutcome(span, {
    statusCode: this.headersSent ? this.statusCode : undefined,
    aborted: !responseCompleted(this),
    failed: requestTrace.failed,
    error: requestTrace.error,
  });
  const hook = requestTrace.responseHook;
  if (hook !== undefined) contain('responseHook', undefined, () => hook(span, this));
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

/**
 * Runs a user callback; what it throws, or the rejection of the promise it returns (an `async` hook), is
 * reported through `diag` instead of breaking the request or the process.
 */
function contain<T>(name: string, plan: ActionPlan | undefined, callback: () => T): T | undefined {
  try {
    const result = callback();
    if (isPromiseLike(result)) result.then(undefined, (error: unknown) => reportFailure(name, plan, 'rejected', error));
    return result;
  } catch (error) {
    reportFailure(name, plan, 'threw', error);
    return undefined;
  }
}

function reportFailure(name: string, plan: ActionPlan | undefined, what: string, error: unknown): void {
  diag.error(`drum-otel: ${name}${plan ? ` of ${plan.where}` : ''} ${what}; the request goes on`, error);
}

// ---------------------------------------------------------------------------------------------------------
// The action call: routing-controllers calls an action after its middlewares and body parser, whose stream
// callbacks do not carry the request's context. The override re-enters it, records what the action throws,
// and suppresses tracing for @NoTrace() actions.

let actionCallDepth = 0;
/** The context of a @NoTrace() action called outside any other context (no HTTP instrumentation): made once. */
const SUPPRESSED_ROOT = suppressTracing(ROOT_CONTEXT);

function overrideActionCall(args: ActionArgs): void {
  if ((args as { [OVERRIDDEN]?: true })[OVERRIDDEN]) return;
  const call: MethodOverride = args.methodOverride ?? ((action, request, params) => action.callMethod(params, request));
  args.methodOverride = function drumOtelAction(actionMetadata, action, params) {
    const requestTrace = (action.response as Traceable | undefined)?.[REQUEST_TRACE];
    if (requestTrace === undefined) return callUntraced(call, actionMetadata, action, params);
    // Without a body parser between them, the middleware's context is still the active one.
    if (context.active() === requestTrace.context) return callTraced(call, requestTrace, actionMetadata, action, params);
    return context.with(requestTrace.context, callTraced, undefined, call, requestTrace, actionMetadata, action, params);
  };
  Object.defineProperty(args, OVERRIDDEN, { value: true });
}

function callUntraced(call: MethodOverride, actionMetadata: ActionMetadata, action: Action, params: unknown[]): unknown {
  const plan = plansOf(actionMetadata.target)?.get(actionMetadata.method);
  if (plan === undefined || plan.traced) return callAction(call, actionMetadata, action, params);
  // A @NoTrace() action records nothing below it either.
  const active = context.active();
  const quiet = active === ROOT_CONTEXT ? SUPPRESSED_ROOT : suppressTracing(active);
  return context.with(quiet, callAction, undefined, call, actionMetadata, action, params);
}

function callTraced(
  call: MethodOverride,
  requestTrace: RequestTrace,
  actionMetadata: ActionMetadata,
  action: Action,
  params: unknown[],
): unknown {
  let result: unknown;
  try {
    result = callAction(call, actionMetadata, action, params);
  } catch (error) {
    requestTrace.failed = true;
    requestTrace.error = error;
    throw error;
  }
  if (!isPromiseLike(result)) return result;
  return result.then(undefined, (error: unknown) => {
    requestTrace.failed = true;
    requestTrace.error = error;
    throw error;
  });
}

function callAction(call: MethodOverride, actionMetadata: ActionMetadata, action: Action, params: unknown[]): unknown {
  actionCallDepth++;
  try {
    return call(actionMetadata, action, params);
  } finally {
    actionCallDepth--;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

// ---------------------------------------------------------------------------------------------------------
// Routes built before instrumentControllers() never reach the override. Only the method on the prototype is
// looked up per request, so it is where a late call is noticed: once, through diag, never on the traced path.

let lateCallReported = false;

function watchForUntracedCalls(controller: Function, plan: ActionPlan): void {
  const method = plan.method;
  const prototype = controller.prototype as Record<string, unknown>;
  const original = prototype[method];
  if (typeof original !== 'function' || (original as { [ORIGINAL_METHOD]?: Function })[ORIGINAL_METHOD]) return;
  const watched = {
    [method](this: unknown) {
      if (actionCallDepth === 0 && !lateCallReported) reportIfCalledByRoutingControllers(plan);
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments);
    },
  }[method];
  copyFunctionIdentity(original, watched);
  Object.defineProperty(watched, ORIGINAL_METHOD, { value: original });
  const descriptor = descriptorInChain(prototype, method)!;
  Object.defineProperty(prototype, method, { ...descriptor, value: watched });
}

function reportIfCalledByRoutingControllers(plan: ActionPlan): void {
  const frames: { stack?: string } = {};
  Error.captureStackTrace(frames, reportIfCalledByRoutingControllers);
  if (!frames.stack?.includes('ActionMetadata.callMethod')) return;
  lateCallReported = true;
  diag.warn(
    `drum-otel: ${plan.where} was called by routes that routing-controllers built before instrumentControllers() ` +
      'ran, so its requests get no span. Call instrumentControllers() before createExpressServer()/useExpressServer().',
  );
}

/** Keeps `name`, `length` and metadata defined on the function object itself (not on the prototype). */
function copyFunctionIdentity(from: Function, to: Function): void {
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
  Object.defineProperty(to, 'length', { value: from.length, configurable: true });
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}

function descriptorInChain(prototype: object, method: string): PropertyDescriptor | undefined {
  for (let current: object | null = prototype; current !== null; current = Object.getPrototypeOf(current)) {
    const descriptor = Object.getOwnPropertyDescriptor(current, method);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}
