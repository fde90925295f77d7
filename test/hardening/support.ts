import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { ReadableSpan } from '../helpers/sdk';
import Koa from 'koa';
import { createExpressServer, useKoaServer, type RoutingControllersOptions } from 'routing-controllers';
import { closeEachConnection, koaRoute, serve, type RunningServer } from '../helpers/server';

/**
 * Like `startServer`, with Node's own server options (a bigger `maxHeaderSize`) and listen backlog; keeps
 * connections alive unless `closeConnections` (see `closeEachConnection`).
 */
export async function startServerWith(
  options: RoutingControllersOptions,
  { maxHeaderSize, backlog, closeConnections = false }: { maxHeaderSize?: number; backlog?: number; closeConnections?: boolean } = {},
): Promise<RunningServer> {
  const app = createExpressServer(options);
  app.set('env', 'test');
  const server = createServer(maxHeaderSize === undefined ? {} : { maxHeaderSize }, app);
  return serve(closeConnections ? closeEachConnection(server) : server, backlog);
}

/** What `startKoaServerWith` adds around a Koa app's own middlewares. */
export type KoaOutermost = (ctx: Koa.Context, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * Like `startKoaServer`, with Node's own server options (a bigger `maxHeaderSize`), and `outermost` as the
 * app's first middleware (before the body parser routing-controllers adds): a test's window on every request.
 */
export async function startKoaServerWith(
  options: RoutingControllersOptions,
  { maxHeaderSize, outermost }: { maxHeaderSize?: number; outermost?: KoaOutermost } = {},
): Promise<RunningServer> {
  const app = new Koa();
  // Koa prints every error that reaches it; the tests assert on responses instead.
  app.silent = true;
  if (outermost !== undefined) app.use(outermost);
  useKoaServer(app, options);
  return serve(createServer(maxHeaderSize === undefined ? {} : { maxHeaderSize }, app.callback()));
}

/** A routing-controllers driver the hardening tests run on, with how it serves and names a route. */
export interface HardeningDriver {
  readonly name: 'Express' | 'Koa';
  start(options: RoutingControllersOptions, server?: { maxHeaderSize?: number }): Promise<RunningServer>;
  /** A route as the driver registers it: Koa's drops a trailing slash (`/h/plain/` is `/h/plain`). */
  route(route: string): string;
}

export const DRIVERS: readonly HardeningDriver[] = [
  { name: 'Express', start: (options, server) => startServerWith(options, server), route: (route) => route },
  { name: 'Koa', start: (options, server) => startKoaServerWith(options, server), route: koaRoute },
];

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A raw TCP connection to a test server: what was written is exactly what the server reads. */
export class RawClient {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async open(url: string): Promise<RawClient> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Polls until `count` complete responses arrived, the server closed, or `timeoutMs` passed. */
  async responses(count: number, timeoutMs = 5000): Promise<RawResponse[]> {
    const deadline = Date.now() + timeoutMs;
    while (parseResponses(this.received).length < count && !this.closed && Date.now() < deadline) await delay(5);
    return parseResponses(this.received);
  }

  destroy(): void {
    this.socket.destroy();
  }

  async end(): Promise<void> {
    if (this.closed) return;
    this.socket.end();
    await once(this.socket, 'close');
  }
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The complete HTTP/1.1 responses in `buffer` (content-length or chunked bodies). */
export function parseResponses(buffer: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = buffer.indexOf('\r\n\r\n', offset);
    if (headEnd === -1) return responses;
    const [statusLine, ...lines] = buffer.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine.split(' ')[1]);
    let cursor = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n', cursor);
        if (lineEnd === -1) return responses;
        const size = parseInt(buffer.subarray(cursor, lineEnd).toString('latin1'), 16);
        if (buffer.length < lineEnd + 2 + size + 2) return responses;
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        cursor = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (buffer.length < cursor + length) return responses;
      body = buffer.subarray(cursor, cursor + length);
      cursor += length;
    }
    responses.push({ status, headers, body: body.toString('utf8') });
    offset = cursor;
  }
}

/** A request in wire format. */
export function rawRequest(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== '' || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Everything an exporter would ship of these spans: names, attributes, events, status, links. */
export function exportedText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
      status: span.status,
      links: span.links,
      traceState: span.spanContext().traceState?.serialize(),
      resource: span.resource.attributes,
    })),
  );
}

/** What the request tests compare of a drum span: its name, route, path, status code and abort mark. */
export function requestSummary(span: ReadableSpan) {
  return {
    name: span.name,
    route: span.attributes['http.route'],
    path: span.attributes['url.path'],
    status: span.attributes['http.response.status_code'],
    aborted: span.attributes['drum.request.aborted'],
  };
}

/**
 * The listeners on a response and on its socket, which a handler answers with: the client tests compare an
 * instrumented action's with an uninstrumented twin's.
 */
export function listenerReport(response: ServerResponse) {
  const socket = response.req.socket;
  return {
    close: response.listenerCount('close'),
    finish: response.listenerCount('finish'),
    socket: Object.fromEntries(socket.eventNames().map((name) => [String(name), socket.listenerCount(name)])),
  };
}

/** The spans of this library (not the ones test handlers start). */
export function drumSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.instrumentationScope.name === 'drum-otel');
}

/** Waits until `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await delay(5);
  }
  return true;
}

/** The number of open connections of `server`. */
export function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}
