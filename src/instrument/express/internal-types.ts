import type { IncomingMessage, ServerResponse } from 'node:http';

// The parts of Express that drum-otel relies on without a dependency on its types.

/** The Express route a request matched (`req.route`): the path as registered and the methods it serves. */
export interface ExpressRoute {
  readonly path: string | RegExp;
  readonly methods: Readonly<Record<string, boolean>>;
}

/** A request as Express hands it to route middlewares. */
export type RoutedRequest = IncomingMessage & { route?: ExpressRoute; originalUrl?: string };

/** An Express route middleware. */
export type ExpressMiddleware = (request: RoutedRequest, response: ServerResponse, next: (error?: unknown) => void) => void;
