import type { getMetadataArgsStorage } from 'routing-controllers';

// The parts of routing-controllers that drum-otel relies on without a public type for them; each driver's
// framework internals are in its own folder.

/** routing-controllers' global metadata storage, which its decorators fill and its drivers read. */
export type MetadataStorage = ReturnType<typeof getMetadataArgsStorage>;

/** What one `@Get()`, `@Post()`, ... decorator stored: one route of one controller method. */
export type ActionArgs = MetadataStorage['actions'][number];

/** routing-controllers' per-action replacement of `ActionMetadata.callMethod`. */
export type MethodOverride = NonNullable<ActionArgs['methodOverride']>;

/**
 * A controller-wide middleware as routing-controllers hands it to whichever driver serves the controller:
 * Express calls it with `(request, response, next)`, Koa with `(context, next)`.
 */
export type ControllerMiddleware = (first: unknown, second: unknown, third: unknown) => unknown;
