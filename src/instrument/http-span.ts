import type { Context, Span } from '@opentelemetry/api';
import { httpRpcMetadata } from './sdk-context';

/**
 * The SERVER span `@opentelemetry/instrumentation-http` started for the request, when one is active, after
 * telling it the route. That instrumentation reads the route from the context's RPC metadata when the
 * response finishes, sets `http.route` and renames its span `<METHOD> <route>`; instrumentation-express and
 * -koa hand it their routes the same way.
 */
export function routeHttpServerSpan(active: Context, route: string): Span | undefined {
  const metadata = httpRpcMetadata(active);
  if (metadata === undefined) return undefined;
  metadata.route = route;
  return metadata.span;
}
