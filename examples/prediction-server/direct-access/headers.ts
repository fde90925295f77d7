import type { IncomingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 7.6.1, with the older Keep-Alive and Proxy-Connection): one connection's only. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The hop-by-hop headers of one message: the fixed ones and those its `Connection` header names. */
function hopByHop(connection: string | string[] | undefined): Set<string> {
  const named = (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  return new Set([...HOP_BY_HOP, ...named]);
}

/**
 * The request headers sent on to the backend: all but the hop-by-hop ones and `Host` (the backend's own is
 * sent). `Authorization` goes on as it came; it is never put on a span.
 */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const dropped = hopByHop(headers.connection);
  dropped.add('host');
  const forwarded: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !dropped.has(name)) forwarded[name] = value;
  return forwarded;
}

/**
 * The backend's response headers as the client gets them, in order and spelled as sent (`rawHeaders`, pairs
 * flattened), without the hop-by-hop ones: Node frames the body itself (chunked when it has no length).
 */
export function returnedResponseHeaders(rawHeaders: readonly string[], connection: string | string[] | undefined): string[] {
  const dropped = hopByHop(connection);
  const returned: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (!dropped.has(rawHeaders[index].toLowerCase())) returned.push(rawHeaders[index], rawHeaders[index + 1]);
  }
  return returned;
}
