import { defaultSpanName, routeTemplate } from '../span';
import type { ActionInfo } from '../types';
import type { ActionPlan } from './plan';

/** What one framework route means for its requests, worked out on its first request. */
export interface RouteEntry {
  readonly plan: ActionPlan;
  /** The route template as the framework matched it: route prefix, controller route and action route. */
  readonly route: string;
  /** The span name for requests with the action's own method (the `@Traced` name serves every method). */
  readonly spanName: string;
  readonly action: ActionInfo;
}

/** A route a framework matched, as a driver describes it to {@link matchRoute}. */
export interface MatchedRoute {
  /** The path as registered with the framework: the route prefix, the controller's and the action's route. */
  readonly path: string | RegExp;
  /** Whether the route serves an action's method. */
  serves(plan: ActionPlan): boolean;
  /** The action's route as the driver registered it (the Koa driver drops a trailing slash). */
  routeOf(plan: ActionPlan): string;
}

/**
 * The plan of the action a route was registered for. routing-controllers registers each action's route as its
 * route prefix followed by the controller's and the action's routes, with one prefix for every route of an
 * app: the action is the one whose route ends the matched path, and what precedes it is the prefix. When two
 * actions' routes end the path alike, the one whose prefix is `prefixHint` wins, else the longer route.
 */
export function matchRoute(plans: readonly ActionPlan[], route: MatchedRoute, prefixHint: string | undefined): ActionPlan | undefined {
  let best: ActionPlan | undefined;
  let bestLength = -1;
  for (const plan of plans) {
    if (!route.serves(plan)) continue;
    const planRoute = route.routeOf(plan);
    const prefix = prefixBefore(route.path, plan, planRoute);
    if (prefix === undefined) continue;
    if (prefix === prefixHint) return plan;
    if (planRoute.length > bestLength) {
      best = plan;
      bestLength = planRoute.length;
    }
  }
  return best;
}

/** The route prefix in front of `planRoute` in a registered path, or `undefined` when the path is not its route. */
function prefixBefore(path: string | RegExp, plan: ActionPlan, planRoute: string): string | undefined {
  if (typeof path !== 'string') return plan.pattern && String(path) === plan.route ? '' : undefined;
  if (plan.pattern || !path.endsWith(planRoute)) return undefined;
  const prefix = path.slice(0, path.length - planRoute.length);
  // routing-controllers starts a prefix without a slash with one (`api` → `/api`).
  return prefix === '' || prefix.includes('/') ? prefix : undefined;
}

/** The entry of a route `path` served by `plan`: its full template, and the span name that follows from it. */
export function routeEntry(plan: ActionPlan, path: string | RegExp, spanNamePrefix: string): RouteEntry {
  const template = routeTemplate(path);
  return {
    plan,
    route: template,
    spanName: plan.name ?? defaultSpanName(spanNamePrefix, plan.httpMethod, template),
    action: Object.freeze({ controller: plan.controller, method: plan.method, route: template }),
  };
}
