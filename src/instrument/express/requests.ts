import { context } from '@opentelemetry/api';
import type { ControllerTracing } from '../controller-tracing';
import type { ActionPlan } from '../plan';
import { beginRequestTrace } from '../request-start';
import { requestTraceOf } from '../request-trace';
import type { MatchedRoute, RouteEntry } from '../routes';
import type { ExpressMiddleware, ExpressRoute } from './internal-types';

/**
 * The Express side of a controller's middleware: it finds the action through the Express route the request
 * matched (`req.route`), once per route, and runs the rest of the request in its trace's context.
 */
export function expressRequests(tracing: ControllerTracing): ExpressMiddleware {
  // `null`: a route whose requests are not traced.
  const entries = new WeakMap<ExpressRoute, RouteEntry | null>();
  const entryFor = (route: ExpressRoute): RouteEntry | null => {
    let entry = entries.get(route);
    if (entry === undefined) {
      entry = tracing.entryFor(expressMatchedRoute(route), 'Express');
      entries.set(route, entry);
    }
    return entry;
  };
  return function drumOtelExpressRequest(request, response, next) {
    const route = request.route;
    if (route === undefined || requestTraceOf(response) !== undefined) return next();
    const entry = entryFor(route);
    if (entry === null) return next();
    const target = request.originalUrl ?? request.url ?? '';
    context.with(beginRequestTrace(tracing.settings, entry, request, response, target), next);
  };
}

/** An Express route as route matching reads it. */
export function expressMatchedRoute(route: ExpressRoute): MatchedRoute {
  return {
    path: route.path,
    serves: (plan) => routeServesMethod(route, plan),
    // Express registers the routes as routing-controllers builds them.
    routeOf: (plan) => plan.route,
  };
}

/** Whether an Express route serves an action's method; `app.all()` registers a route with every method. */
function routeServesMethod(route: ExpressRoute, plan: ActionPlan): boolean {
  if (plan.routeMethod !== 'all') return route.methods[plan.routeMethod] === true;
  return route.methods._all === true || Object.keys(route.methods).length > 1;
}
