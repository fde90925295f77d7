import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { urlPath, urlQuery } from './url';

// Development-status names of the HTTP conventions, copied rather than imported from the package's
// `incubating` entry, as the semantic-conventions package advises for names that may still change.
/** `http.request.body.size`: the request body's size in bytes. */
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size';
/** `http.response.body.size`: the response body's size in bytes. */
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';

type HeaderValue = string | string[] | number | undefined;

/** What the attributes are read from: the parts of Node's `IncomingMessage` they need. */
export interface ServerRequest {
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly httpVersion: string;
  readonly socket: { readonly encrypted?: boolean; readonly remoteAddress?: string } | null;
}

/** The options that change what the attributes say. */
export interface ServerAttributeSettings {
  /** Whether `X-Forwarded-Proto` and `X-Forwarded-For` come from a proxy the application trusts. */
  readonly trustProxy: boolean;
  readonly recordBodySizes: boolean;
}

/**
 * The attributes every traced request's span starts with. Its literal is written with the names themselves
 * rather than `[ATTR_...]` keys: V8 defines each computed key of an object literal through a call into the
 * runtime (about 150 ns) until the optimizing compiler has taken the function over, which on a server takes
 * minutes of traffic and starts again after each deoptimization. These properties keep the names checked
 * against the constants: a misspelt key leaves one of them missing, which does not compile.
 */
interface RequestAttributes extends Attributes {
  [ATTR_HTTP_REQUEST_METHOD]: string;
  [ATTR_HTTP_ROUTE]: string;
  [ATTR_URL_PATH]: string;
  [ATTR_URL_SCHEME]: string;
}

/**
 * The stable HTTP server attributes of a request that a span starts with: those the HTTP conventions give
 * samplers at span creation (method, path, query with sensitive values redacted, scheme, server address and port
 * from `Host`, client address and user agent) and the route.
 *
 * @param target - The request target as received (`req.originalUrl`, not Express's mount-relative `url`).
 * @param scheme - The request's {@link urlScheme}.
 */
export function serverAttributes(
  request: ServerRequest,
  method: string,
  route: string,
  target: string,
  scheme: string,
  settings: ServerAttributeSettings,
): Attributes {
  const { headers } = request;
  const attributes: RequestAttributes = {
    'http.request.method': method,
    'http.route': route,
    'url.path': urlPath(target),
    'url.scheme': scheme,
  };
  const query = urlQuery(target);
  if (query !== undefined) attributes[ATTR_URL_QUERY] = query;
  const host = typeof headers.host === 'string' ? parseHost(headers.host) : undefined;
  if (host !== undefined) {
    attributes[ATTR_SERVER_ADDRESS] = host.address;
    const port = host.port ?? DEFAULT_PORTS[scheme];
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
  }
  const client = clientAddress(request, settings.trustProxy);
  if (client !== undefined) attributes[ATTR_CLIENT_ADDRESS] = client;
  const userAgent = headers['user-agent'];
  if (typeof userAgent === 'string' && userAgent !== '') attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  if (settings.recordBodySizes) {
    const size = contentLength(headers['content-length']);
    if (size !== undefined) attributes[ATTR_HTTP_REQUEST_BODY_SIZE] = size;
  }
  return attributes;
}

/** The attributes of {@link recordedServerAttributes}, by name in its literal (see `RequestAttributes`). */
interface RecordedAttributes extends Attributes {
  [ATTR_NETWORK_PROTOCOL_VERSION]: string;
}

/**
 * The stable HTTP server attributes no sampler is given (the protocol version), for a span that records: the SDK
 * copies and checks every attribute a span starts with, even for a span its sampler then drops.
 */
export function recordedServerAttributes(request: ServerRequest): RecordedAttributes {
  return { 'network.protocol.version': protocolVersion(request) };
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };
const URI_SCHEME = /^[a-z][a-z0-9+.-]*$/;

/** `https` on a TLS connection, else `http`; a trusted proxy's `X-Forwarded-Proto` wins. */
export function urlScheme(request: ServerRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = firstListValue(request.headers['x-forwarded-proto'])?.toLowerCase();
    if (forwarded !== undefined && URI_SCHEME.test(forwarded)) return forwarded;
  }
  return request.socket?.encrypted === true ? 'https' : 'http';
}

/** The socket's peer, or the first `X-Forwarded-For` entry (the original client) behind a trusted proxy. */
export function clientAddress(request: ServerRequest, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = firstListValue(request.headers['x-forwarded-for']);
    if (forwarded !== undefined) return forwarded;
  }
  return request.socket?.remoteAddress;
}

/** `1.1`, `1.0`, or `2` (the conventions' spelling of HTTP/2, which Node reports as `2.0`). */
export function protocolVersion(request: ServerRequest): string {
  const version = request.httpVersion;
  return version === '2.0' ? '2' : version;
}

/** The address and port of a `Host` header value (`example.com:8080`, `[::1]:8080`), or `undefined` when empty. */
export function parseHost(host: string): { address: string; port: number | undefined } | undefined {
  let address = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close !== -1) {
      address = host.slice(1, close);
      if (host.charCodeAt(close + 1) === 58 /* : */) port = host.slice(close + 2);
    }
  } else {
    const colon = host.indexOf(':');
    // More than one colon without brackets is a bare IPv6 address, not an address and a port.
    if (colon !== -1 && host.indexOf(':', colon + 1) === -1) {
      address = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  if (address === '') return undefined;
  return { address, port: port === undefined ? undefined : portNumber(port) };
}

function portNumber(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 /* 0 */ || code > 57 /* 9 */) return undefined;
  }
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** The first element of a comma-separated header (of its first line when repeated), trimmed; `undefined` if empty. */
export function firstListValue(value: HeaderValue): string | undefined {
  const line = Array.isArray(value) ? value[0] : value;
  if (typeof line !== 'string') return undefined;
  const comma = line.indexOf(',');
  const first = (comma === -1 ? line : line.slice(0, comma)).trim();
  return first === '' ? undefined : first;
}

/** A `Content-Length` value as a number, or `undefined` when absent or not a plain decimal. */
export function contentLength(value: HeaderValue): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}
