import { context } from '@opentelemetry/api';
import type { ControllerTracing } from '../controller-tracing';
import type { ActionPlan } from '../plan';
import { beginRequestTrace } from '../request-start';
import { requestTraceOf } from '../request-trace';
import type { MatchedRoute, RouteEntry } from '../routes';
import type { KoaMiddleware } from './internal-types';

/**
 * The Koa side of a controller's middleware: it finds the action through the route @koa/router is running
 * (`ctx._matchedRoute`) and the request's method, once per route and method, and runs the rest of the request
 * in its trace's context.
 */
export function koaRequests(tracing: ControllerTracing): KoaMiddleware {
  // By route path, then method; `null`: a route whose requests are not traced.
  const entries = new Map<string | RegExp, Map<string, RouteEntry | null>>();
  const entryFor = (path: string | RegExp, method: string): RouteEntry | null => {
    let byMethod = entries.get(path);
    if (byMethod === undefined) entries.set(path, (byMethod = new Map()));
    let entry = byMethod.get(method);
    if (entry === undefined) {
      entry = tracing.entryFor(koaMatchedRoute(path, method), 'Koa');
      byMethod.set(method, entry);
    }
    return entry;
  };
  return function drumOtelKoaRequest(ctx, next) {
    const path = ctx._matchedRoute;
    if (path === undefined || requestTraceOf(ctx.res) !== undefined) return next();
    const entry = entryFor(path, ctx.method);
    if (entry === null) return next();
    return context.with(beginRequestTrace(tracing.settings, entry, ctx.req, ctx.res, ctx.originalUrl), next);
  };
}

/** A route @koa/router matched for a request with `method`, as route matching reads it. */
export function koaMatchedRoute(path: string | RegExp, method: string): MatchedRoute {
  return {
    path,
    serves: (plan) => routeServesMethod(plan, method),
    routeOf: koaRouteOf,
  };
}

/** Whether an action serves `method`; @koa/router also answers HEAD on a GET route. */
function routeServesMethod(plan: ActionPlan, method: string): boolean {
  const own = plan.httpMethod;
  return own === method || own === 'ALL' || (own === 'GET' && method === 'HEAD');
}

/**
 * The action's route as routing-controllers' Koa driver registers it: @koa/router is strict about trailing
 * slashes, so the driver drops one from the full route (`/api` + `/predict/` → `/api/predict`).
 */
function koaRouteOf(plan: ActionPlan): string {
  return plan.route.endsWith('/') ? plan.route.slice(0, -1) : plan.route;
}
