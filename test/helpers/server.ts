import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createExpressServer, createKoaServer, type RoutingControllersOptions } from 'routing-controllers';

/** A routing-controllers app listening on an ephemeral loopback port. */
export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Builds the routes for `controllers` and listens on 127.0.0.1:0. */
export async function startServer(options: RoutingControllersOptions): Promise<RunningServer> {
  const app = createExpressServer(options);
  // Express logs every error routing-controllers forwards to it; the tests assert on responses instead.
  app.set('env', 'test');
  // The keep-alive and pipelining cases live in test/hardening/client.test.ts on their own server.
  return serve(closeEachConnection(createServer(app)));
}

/** Builds the routes for `controllers` with routing-controllers' Koa driver and listens on 127.0.0.1:0. */
export async function startKoaServer(options: RoutingControllersOptions): Promise<RunningServer> {
  const app = createKoaServer(options) as { callback(): RequestListener; silent: boolean };
  // Koa prints every error that reaches it; the tests assert on responses instead.
  app.silent = true;
  return serve(createServer(app.callback()));
}

/** A route as routing-controllers' Koa driver registers it: without a trailing slash (`/predict/` is `/predict`). */
export function koaRoute(route: string): string {
  return route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route;
}

/** A routing-controllers driver, how to start a server with it, and how it writes a controller's route. */
export interface ServerDriver {
  readonly name: 'Express' | 'Koa';
  start(options: RoutingControllersOptions): Promise<RunningServer>;
  route(route: string): string;
}

export const SERVER_DRIVERS: readonly ServerDriver[] = [
  { name: 'Express', start: startServer, route: (route) => route },
  { name: 'Koa', start: startKoaServer, route: koaRoute },
];

/**
 * Answers every request of `server` with `Connection: close`. After an error response, routing-controllers
 * calls next(error) and Express's final handler destroys the socket: a keep-alive client racing to reuse it
 * sees "fetch failed" (more often the busier the machine).
 */
export function closeEachConnection(server: Server): Server {
  server.prependListener('request', (_request, response) => response.setHeader('Connection', 'close'));
  return server;
}

/** Listens with any request listener (an Express app) on 127.0.0.1:0. */
export function listen(app: RequestListener): Promise<RunningServer> {
  return serve(createServer(app));
}

/** Starts `server` on 127.0.0.1:0 (with the given listen backlog) and returns how to reach and close it. */
export async function serve(server: Server, backlog?: number): Promise<RunningServer> {
  server.listen({ port: 0, host: '127.0.0.1', backlog });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
