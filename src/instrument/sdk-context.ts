import { createContextKey, type Context, type Span } from '@opentelemetry/api';

// Two context entries that the OpenTelemetry SDK and its HTTP instrumentation read. They live in
// `@opentelemetry/core`, whose majors each serve one API line (2.x: api 1.9, 3.x: api 1.10), so the
// instrumentation keeps its own copy of the keys rather than pinning a line. `createContextKey` makes a
// `Symbol.for` key: the same key every copy of core makes.

const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');

/** `context` with tracing suppressed: the SDK's tracers start non-recording spans below it. */
export function suppressTracing(context: Context): Context {
  return context.setValue(SUPPRESS_TRACING_KEY, true);
}

/** What `@opentelemetry/instrumentation-http` stores in the context of an incoming request it traces. */
export interface HttpRpcMetadata {
  readonly type: 'http';
  /** The span that instrumentation started; `http.route` is read from `route` when the response ends. */
  readonly span: Span;
  route?: string;
}

/** The RPC metadata of `context` when it belongs to an HTTP server request, else `undefined`. */
export function httpRpcMetadata(context: Context): HttpRpcMetadata | undefined {
  const metadata = context.getValue(RPC_METADATA_KEY) as { type?: unknown } | undefined;
  // core's RPCType.HTTP is the string 'http' in both majors.
  return metadata?.type === 'http' ? (metadata as HttpRpcMetadata) : undefined;
}
