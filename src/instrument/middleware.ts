import { context, diag, propagation, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeValue } from '../describe';
import { addLowerCaseIdentityAttributes, captureRequestHeaders } from '../headers';
import { defaultSpanName, routeTemplate } from '../span';
import type { HookInfo } from '../types';
import { checkApiCopies } from './api-copies';
import { contain, isPromiseLike } from './contain';
import { routeHttpServerSpan } from './http-span';
import type { ExpressRoute, MetadataStorage, Middleware, RoutedRequest } from './internal-types';
import { RequestMeasurement } from './metrics';
import type { ActionPlan } from './plan';
import { attachRequestTrace, requestTraceOf, RequestTrace } from './request-trace';
import { matchRoute, routeEntry, type RouteEntry } from './routes';
import { protocolVersion, serverAttributes, urlScheme } from './server-attributes';
import type { Settings } from './settings';
import { warnMisuse } from './warnings';

/**
 * Registers `middleware` before the controller's own `@UseBefore` middlewares, so that a request they reject
 * (an authentication middleware's 401, say) still has its span.
 */
export function registerFirstMiddleware(storage: MetadataStorage, controller: Function, middleware: Middleware): void {
  const first = storage.uses.findIndex((use) => use.target === controller && use.method === undefined);
  const use = { target: controller, method: undefined as unknown as string, middleware, afterAction: false };
  if (first === -1) storage.uses.push(use);
  else storage.uses.splice(first, 0, use);
}

/**
 * The controller-wide middleware that starts a request's span. It finds the action through the Express
 * route the request matched, once per route: per request that is one lookup, the rest having been
 * computed per action and per route already.
 */
export function requestMiddleware(settings: Settings, controller: Function, plans: readonly ActionPlan[]): Middleware {
  // `null`: a route whose requests are not traced.
  const entries = new WeakMap<ExpressRoute, RouteEntry | null>();
  const entryFor = (route: ExpressRoute): RouteEntry | null => {
    let entry = entries.get(route);
    if (entry === undefined) {
      entry = findRouteEntry(settings, controller, plans, route);
      entries.set(route, entry);
    }
    return entry;
  };
  return function drumOtelRequest(request, response, next) {
    const route = request.route;
    if (route === undefined || requestTraceOf(response) !== undefined) return next();
    const entry = entryFor(route);
    if (entry === null) return next();
    const requestTrace = startRequestTrace(settings, entry, request, response);
    attachRequestTrace(response, requestTrace);
    context.with(requestTrace.context, next);
  };
}

function findRouteEntry(settings: Settings, controller: Function, plans: readonly ActionPlan[], route: ExpressRoute): RouteEntry | null {
  const plan = matchRoute(plans, route, settings.routePrefixHint);
  if (plan === undefined) {
    warnMisuse(
      'DRUM_OTEL_UNMATCHED_ROUTE',
      `no action of ${controller.name} has the route ${routeTemplate(route.path)} that Express matched, so its requests ` +
        'get no span. Were routes added to the controller after instrumentControllers() ran?',
    );
    return null;
  }
  if (!plan.traced) return null;
  if (!settings.ownTracerProvider) checkApiCopies();
  return routeEntry(plan, route, settings.spanNamePrefix);
}

function startRequestTrace(settings: Settings, entry: RouteEntry, request: RoutedRequest, response: ServerResponse): RequestTrace {
  const method = request.method ?? 'GET';
  const scheme = urlScheme(request, settings.trustProxy);
  const { span, spanContext, owned } = startSpan(settings, entry, request, method, scheme);
  const instruments = settings.metrics?.current();
  const measurement = instruments && new RequestMeasurement(instruments, method, scheme, protocolVersion(request), entry.route);
  const hookInfo: HookInfo | undefined =
    settings.requestHook || settings.responseHook ? { span, request, response, action: entry.action } : undefined;
  if (settings.requestHook !== undefined) contain('requestHook', entry.plan.where, () => settings.requestHook!(hookInfo!));
  return new RequestTrace(settings, entry, span, owned, spanContext, measurement, hookInfo);
}

/**
 * drum-otel's span for the request: SERVER with the propagated parent, or INTERNAL under an active span. Beside
 * instrumentation-http with `internalSpan: false`, that instrumentation's span instead (`owned` false).
 */
function startSpan(
  settings: Settings,
  entry: RouteEntry,
  request: RoutedRequest,
  method: string,
  scheme: string,
): { span: Span; spanContext: Context; owned: boolean } {
  const active = context.active();
  const nested = trace.getSpan(active) !== undefined;
  const httpSpan = nested ? routeHttpServerSpan(active, entry.route) : undefined;
  if (httpSpan !== undefined && !settings.internalSpan) {
    httpSpan.setAttributes(drumAttributes(settings, entry.plan, request, capturedHeaders(settings, request, {})));
    return { span: httpSpan, spanContext: active, owned: false };
  }
  const target = request.originalUrl ?? request.url ?? '';
  // At the start, what the HTTP conventions give samplers (the request, its route, the captured headers).
  const attributes = capturedHeaders(settings, request, serverAttributes(request, method, entry.route, target, scheme, settings));
  const parent = nested ? active : propagation.extract(active, request.headers);
  const kind = nested ? SpanKind.INTERNAL : SpanKind.SERVER;
  const span = settings.tracer.startSpan(spanNameFor(settings, entry, method), { kind, attributes }, parent);
  // DRUM's own attributes only on a span that records: the SDK copies and checks every start attribute before its
  // sampler decides, so a dropped span would pay for them all.
  if (span.isRecording()) span.setAttributes(drumAttributes(settings, entry.plan, request, {}));
  return { span, spanContext: trace.setSpan(parent, span), owned: true };
}

function spanNameFor(settings: Settings, entry: RouteEntry, method: string): string {
  // Only HEAD on a GET route and @All actions see other methods than their own: name those per request.
  const { plan } = entry;
  return plan.name !== undefined || plan.httpMethod === method ? entry.spanName : defaultSpanName(settings.spanNamePrefix, method, entry.route);
}

/** Adds the `captureRequestHeaders` to `attributes`. */
function capturedHeaders(settings: Settings, request: IncomingMessage, attributes: Attributes): Attributes {
  if (settings.headerCaptures.length > 0) captureRequestHeaders(request.headers, settings.headerCaptures, attributes);
  return attributes;
}

/** Adds DRUM's own attributes to `attributes`: identity (or `headerAttributes`) and `@Traced` attributes. */
function drumAttributes(settings: Settings, plan: ActionPlan, request: IncomingMessage, attributes: Attributes): Attributes {
  const headers = request.headers;
  if (settings.headerAttributes === undefined) addLowerCaseIdentityAttributes(headers, attributes);
  else addCustomHeaderAttributes(settings, plan, headers, attributes);
  if (plan.hasAttributes) Object.assign(attributes, plan.attributes);
  return attributes;
}

function addCustomHeaderAttributes(settings: Settings, plan: ActionPlan, headers: IncomingMessage['headers'], attributes: Attributes): void {
  const computed = contain('headerAttributes', plan.where, () => settings.headerAttributes!(headers));
  if (computed === undefined) return;
  // Copied whole or not at all: a throwing getter or proxy trap in the result must not break the request.
  contain('headerAttributes', plan.where, () => {
    if (computed === null || typeof computed !== 'object' || Array.isArray(computed) || isPromiseLike(computed)) {
      diag.error(`drum-otel: headerAttributes returned ${describeValue(computed)}, not an object; ignored`);
    } else {
      Object.assign(attributes, Object.assign({}, computed));
    }
  });
}
