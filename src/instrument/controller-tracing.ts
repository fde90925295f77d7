import { routeTemplate } from '../span';
import { checkApiCopies } from './api-copies';
import type { ActionPlan } from './plan';
import { matchRoute, routeEntry, type MatchedRoute, type RouteEntry } from './routes';
import type { Settings } from './settings';
import { warnMisuse } from './warnings';

/**
 * One instrumented controller, as every driver's request handling sees it: its settings, the plans of its
 * actions, and the work done once per route its requests match.
 */
export class ControllerTracing {
  constructor(
    readonly settings: Settings,
    readonly controller: Function,
    readonly plans: readonly ActionPlan[],
  ) {}

  /**
   * The entry of a route `framework` matched, or `null` when its requests are not traced. Called once per
   * route by each driver, which keeps the answer.
   */
  entryFor(route: MatchedRoute, framework: string): RouteEntry | null {
    const { settings, controller } = this;
    const plan = matchRoute(this.plans, route, settings.routePrefixHint);
    if (plan === undefined) {
      warnMisuse(
        'DRUM_OTEL_UNMATCHED_ROUTE',
        `no action of ${controller.name} has the route ${routeTemplate(route.path)} that ${framework} matched, so its requests ` +
          'get no span. Were routes added to the controller after instrumentControllers() ran?',
      );
      return null;
    }
    if (!plan.traced) return null;
    if (!settings.ownTracerProvider) checkApiCopies();
    return routeEntry(plan, route.path, settings.spanNamePrefix);
  }
}
