import type { IncomingMessage, ServerResponse } from 'node:http';

// The parts of Koa and @koa/router that drum-otel relies on, without a dependency on either.

/** The Koa context of a request, as @koa/router hands it to the middlewares of the route it matched. */
export interface KoaContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The request method (`ctx.method`). */
  readonly method: string;
  /** The request target as received, before any mount rewrote `url`. */
  readonly originalUrl: string;
  /**
   * The path of the route being run, as registered with @koa/router: the router sets it before each matched
   * route's middlewares.
   */
  readonly _matchedRoute?: string | RegExp;
}

/** A Koa middleware. */
export type KoaMiddleware = (context: KoaContext, next: () => Promise<unknown>) => unknown;
