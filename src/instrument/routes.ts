import { defaultSpanName, routeTemplate } from '../span';
import type { ActionInfo } from '../types';
import type { ExpressRoute } from './internal-types';
import type { ActionPlan } from './plan';

/** What one Express route means for its requests, worked out on its first request. */
export interface RouteEntry {
  readonly plan: ActionPlan;
  /** The route template as Express matched it: route prefix, controller route and action route. */
  readonly route: string;
  /** The span name for requests with the action's own method (the `@Traced` name serves every method). */
  readonly spanName: string;
  readonly action: ActionInfo;
}

/**
 * The plan of the action an Express route was registered for. routing-controllers registers each action's
 * route as its route prefix followed by the controller's and the action's routes, with one prefix for every
 * route of an app: the action is the one whose route ends the matched path, and what precedes it is the
 * prefix. When two actions' routes end the path alike, the one whose prefix is `prefixHint` wins, else the
 * longer route.
 */
export function matchRoute(plans: readonly ActionPlan[], route: ExpressRoute, prefixHint: string | undefined): ActionPlan | undefined {
  let best: ActionPlan | undefined;
  for (const plan of plans) {
    if (!routeServesMethod(route, plan.routeMethod)) continue;
    const prefix = prefixBefore(route.path, plan);
    if (prefix === undefined) continue;
    if (prefix === prefixHint) return plan;
    if (best === undefined || plan.route.length > best.route.length) best = plan;
  }
  return best;
}

/** The route prefix in front of `plan`'s route in an Express path, or `undefined` when the path is not its route. */
function prefixBefore(path: string | RegExp, plan: ActionPlan): string | undefined {
  if (typeof path !== 'string') return plan.pattern && String(path) === plan.route ? '' : undefined;
  if (plan.pattern || !path.endsWith(plan.route)) return undefined;
  const prefix = path.slice(0, path.length - plan.route.length);
  // routing-controllers starts a prefix without a slash with one (`api` → `/api`).
  return prefix === '' || prefix.includes('/') ? prefix : undefined;
}

/** Whether an Express route serves an action's method; `app.all()` registers a route with every method. */
function routeServesMethod(route: ExpressRoute, routeMethod: string): boolean {
  if (routeMethod !== 'all') return route.methods[routeMethod] === true;
  return route.methods._all === true || Object.keys(route.methods).length > 1;
}

/** The entry of an Express route served by `plan`: its full template, and the span name that follows from it. */
export function routeEntry(plan: ActionPlan, route: ExpressRoute, spanNamePrefix: string): RouteEntry {
  const template = routeTemplate(route.path);
  return {
    plan,
    route: template,
    spanName: plan.name ?? defaultSpanName(spanNamePrefix, plan.httpMethod, template),
    action: Object.freeze({ controller: plan.controller, method: plan.method, route: template }),
  };
}
