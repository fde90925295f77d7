import type { ServerResponse } from 'node:http';

/** Answers `status` with `body` as JSON, as Express's `json()` and Koa's object bodies send it. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
