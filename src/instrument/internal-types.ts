import type { IncomingMessage, ServerResponse } from 'node:http';
import type { getMetadataArgsStorage } from 'routing-controllers';

// The parts of routing-controllers and Express that drum-otel relies on without a public type for them.

/** routing-controllers' global metadata storage, which its decorators fill and its drivers read. */
export type MetadataStorage = ReturnType<typeof getMetadataArgsStorage>;

/** What one `@Get()`, `@Post()`, ... decorator stored: one route of one controller method. */
export type ActionArgs = MetadataStorage['actions'][number];

/** routing-controllers' per-action replacement of `ActionMetadata.callMethod`. */
export type MethodOverride = NonNullable<ActionArgs['methodOverride']>;

/** The Express route a request matched (`req.route`): the path as registered and the methods it serves. */
export interface ExpressRoute {
  readonly path: string | RegExp;
  readonly methods: Readonly<Record<string, boolean>>;
}

/** A request as Express hands it to route middlewares. */
export type RoutedRequest = IncomingMessage & { route?: ExpressRoute; originalUrl?: string };

/** An Express route middleware. */
export type Middleware = (request: RoutedRequest, response: ServerResponse, next: (error?: unknown) => void) => void;
