import type { IncomingMessage } from 'node:http';

/**
 * The request target as the client sent it, URL_PREFIX and query included: Express's `originalUrl` (it
 * rewrites `url` under a mount), else `url`, which Koa leaves as received.
 */
export function requestTarget(request: IncomingMessage): string {
  return (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/';
}

/** The path of the request target, without its query. */
export function requestPath(request: IncomingMessage): string {
  const target = requestTarget(request);
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? target : target.slice(0, queryStart);
}
