import { context, diag, propagation, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeValue } from '../describe';
import { addLowerCaseIdentityAttributes, captureRequestHeaders } from '../headers';
import { defaultSpanName } from '../span';
import type { HookInfo } from '../types';
import { contain, isPromiseLike } from './contain';
import { routeHttpServerSpan } from './http-span';
import { RequestMeasurement } from './metrics';
import type { ActionPlan } from './plan';
import { attachRequestTrace, RequestTrace } from './request-trace';
import type { RouteEntry } from './routes';
import { protocolVersion, recordedServerAttributes, serverAttributes, urlScheme } from './server-attributes';
import type { Settings } from './settings';

/**
 * Starts the trace of a request to a traced route: its span (or instrumentation-http's, see {@link startSpan}),
 * its measurement and the request hook, tied to `response` to be ended when it closes. Returns the context the
 * rest of the request runs in.
 *
 * @param target - The request target as received (Express's or Koa's `originalUrl`, not a mount-relative `url`).
 */
export function beginRequestTrace(
  settings: Settings,
  entry: RouteEntry,
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
): Context {
  const requestTrace = startRequestTrace(settings, entry, request, response, target);
  attachRequestTrace(response, requestTrace);
  return requestTrace.context;
}

function startRequestTrace(
  settings: Settings,
  entry: RouteEntry,
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
): RequestTrace {
  const method = request.method ?? 'GET';
  const scheme = urlScheme(request, settings.trustProxy);
  const { span, spanContext, owned } = startSpan(settings, entry, request, method, target, scheme);
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
  request: IncomingMessage,
  method: string,
  target: string,
  scheme: string,
): { span: Span; spanContext: Context; owned: boolean } {
  const active = context.active();
  const nested = trace.getSpan(active) !== undefined;
  const httpSpan = nested ? routeHttpServerSpan(active, entry.route) : undefined;
  if (httpSpan !== undefined && !settings.internalSpan) {
    httpSpan.setAttributes(drumAttributes(settings, entry.plan, request, capturedHeaders(settings, request, {})));
    return { span: httpSpan, spanContext: active, owned: false };
  }
  // At the start, what the HTTP conventions give samplers (the request, its route, the captured headers).
  const attributes = capturedHeaders(settings, request, serverAttributes(request, method, entry.route, target, scheme, settings));
  const parent = nested ? active : propagation.extract(active, request.headers);
  const kind = nested ? SpanKind.INTERNAL : SpanKind.SERVER;
  const span = settings.tracer.startSpan(spanNameFor(settings, entry, method), { kind, attributes }, parent);
  // The rest only on a span that records: the SDK copies and checks every start attribute before its sampler
  // decides, so a dropped span would pay for them all.
  if (span.isRecording()) span.setAttributes(drumAttributes(settings, entry.plan, request, recordedServerAttributes(request)));
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
