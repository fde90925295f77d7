import { metrics, trace, type Attributes } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { ATTR_URL_FULL, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions';
import type { RequestOptions } from 'node:http';
import { urlQuery } from '../instrument/url';

/** What a URL's user name and password become on a span, as instrumentation-http writes them. */
const REDACTED_CREDENTIALS = 'REDACTED:REDACTED@';

const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^/?#@]*@)?([^/?#]*)([^?#]*)(\?[^#]*)?/i;

/**
 * `url` as an outgoing span records it in `url.full`: without a fragment, its user name and password (when
 * there are any) replaced by `REDACTED`, and the value of every sensitive query parameter by `REDACTED` (the
 * rule of the SERVER spans' `url.query`: the conventions' signed-URL parameters and any name containing
 * `token`, `secret`, `password` or `key`).
 */
export function redactUrl(url: string): string {
  const parts = URL_PARTS.exec(url);
  if (parts === null) return url;
  const [whole, scheme, host, path, query] = parts;
  const credentials = whole.slice(scheme.length).split(/[/?#]/, 1)[0].includes('@') ? REDACTED_CREDENTIALS : '';
  const redactedQuery = query === undefined ? undefined : urlQuery(query);
  return `${scheme}${credentials}${host}${path === '' ? '/' : path}${redactedQuery === undefined ? '' : `?${redactedQuery}`}`;
}

/** The redacted `url.full` and `url.query` of a fetch (undici) request, over the instrumentation's own. */
function undiciUrlAttributes(request: UndiciRequest): Attributes {
  let url: URL;
  try {
    url = new URL(request.path, request.origin);
  } catch {
    return {};
  }
  const query = urlQuery(url.search);
  return { [ATTR_URL_FULL]: redactUrl(url.href), ...(query === undefined ? {} : { [ATTR_URL_QUERY]: query }) };
}

/** The redacted `url.full` of a `node:http` request, built from its options as instrumentation-http builds it. */
function httpUrlAttributes(options: RequestOptions): Attributes {
  const protocol = options.protocol ?? 'http:';
  const port = options.port === undefined || options.port === null ? '' : String(options.port);
  let host = options.host ?? options.hostname ?? 'localhost';
  if (!host.includes(':') && port !== '' && port !== '80' && port !== '443') host += `:${port}`;
  const auth = options.auth ? 'user@' : '';
  return { [ATTR_URL_FULL]: redactUrl(`${protocol}//${auth}${host}${options.path ?? '/'}`) };
}

/** The two instrumentations, made once per process and enabled and disabled with each setupOtel handle. */
let instrumentations: readonly [HttpInstrumentation, UndiciInstrumentation] | undefined;
let registered = false;

function createInstrumentations(): readonly [HttpInstrumentation, UndiciInstrumentation] {
  return [
    // Made enabled (undici reads `enabled` from its config at each request), on the global providers.
    new HttpInstrumentation({
      // Incoming requests are drum-otel's: its SERVER span is the request's, with no second one beside it.
      disableIncomingRequestInstrumentation: true,
      // Only calls made inside a span: a call outside any request (at start-up) would be a trace of its own,
      // and a client's own traceparent outside a span is left as it is.
      requireParentforOutgoingSpans: true,
      startOutgoingSpanHook: httpUrlAttributes,
    }),
    new UndiciInstrumentation({ requireParentforSpans: true, startSpanHook: undiciUrlAttributes }),
  ];
}

/**
 * Registers OpenTelemetry's instrumentations of outgoing HTTP requests, `@opentelemetry/instrumentation-undici`
 * (`fetch`) and `@opentelemetry/instrumentation-http` (`node:http` and `node:https` CLIENT requests only; its
 * SERVER side stays off), on the global tracer and meter providers: each request made inside a span gets a
 * CLIENT span, child of that span, with the stable HTTP client attributes (`url.full` without credentials or
 * sensitive query values), and the global propagator's headers (`traceparent`) injected; a request made
 * outside any span gets neither (its own `traceparent`, if any, is sent as it is). Inside a
 * `@NoTrace()` action, where drum-otel suppresses tracing, no span is made and no header injected. Called by
 * {@link setupOtel} unless its `outgoing` option is `false`; does nothing when already registered.
 */
export function registerOutgoing(): void {
  if (registered) return;
  registered = true;
  instrumentations ??= createInstrumentations();
  for (const instrumentation of instrumentations) {
    // The providers setupOtel has just registered: a later setupOtel registers new ones.
    instrumentation.setTracerProvider(trace.getTracerProvider());
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    instrumentation.enable();
  }
  // instrumentation-http patches node:http when it is next required: the application loaded it long ago
  // (Express did), and `http.request` is looked up on the module object at each call, so patch it now.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require call is what its hook sees
  require('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
  require('node:https');
}

/** Disables what {@link registerOutgoing} enabled (node:http unpatched, fetch no longer observed). */
export function unregisterOutgoing(): void {
  if (!registered) return;
  registered = false;
  for (const instrumentation of instrumentations ?? []) instrumentation.disable();
}
