import { getMetadataArgsStorage } from 'routing-controllers';
import { describeValue } from '../describe';
import type { InstrumentOptions } from '../types';
import { overrideActionCall } from './action-call';
import type { ActionArgs, MetadataStorage } from './internal-types';
import { watchForUntracedCalls } from './late-call';
import { instrumentationOf, markInstrumented } from './mark';
import { controllerMiddleware, registerFirstMiddleware } from './controller-middleware';
import { ControllerTracing } from './controller-tracing';
import { assertController, planController, type ActionPlan } from './plan';
import { differingOption, resolveSettings, type Settings } from './settings';

/**
 * Makes each action of the given routing-controllers controllers run inside an OpenTelemetry span, as
 * their `@Traced()` / `@NoTrace()` decorators (and `traceUndecorated`) say, on routing-controllers' Express
 * driver and on its Koa driver alike. Call it before `createExpressServer` / `useExpressServer` (or
 * `createKoaServer` / `useKoaServer`) builds the routes; it returns the same array, so it can be written
 * inline. Calling it again for the same controllers with the same options changes nothing.
 *
 * Each traced request gets one span named `drum.<METHOD> <route template>` (or its `@Traced` name), the route
 * being the one Express or Koa matched (routing-controllers' `routePrefix` included; on Koa without a trailing
 * slash, which its driver drops), of kind SERVER with its parent
 * taken from the request headers by the global propagator, or of kind INTERNAL under the active span when one
 * exists. Beside `@opentelemetry/instrumentation-http`, that instrumentation's SERVER span also gets
 * `http.route` and the name `<METHOD> <route>`. The span starts before the controller's own middlewares run
 * and ends when the response is complete, with the status code the client received. Every request of a
 * traced action is also measured in the `http.server.request.duration` and `http.server.active_requests`
 * metrics, sampled or not.
 *
 * @param controllers - Controller classes decorated with `@Controller()` or `@JsonController()`.
 * @param options - See {@link InstrumentOptions}.
 * @returns `controllers`, unchanged.
 * @throws Error naming the class, method or option at fault when a controller is not a class or has no
 *   controller decorator, when an action has both `@Traced()` and `@NoTrace()`, when a decorated method is
 *   not an action, when an option has the wrong type, or when a controller was already instrumented with
 *   other options. Nothing is instrumented then.
 * @category Bootstrap
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { createExpressServer, Get, JsonController, Post } from 'routing-controllers';
 * import { instrumentControllers, NoTrace, Traced } from 'drum-otel';
 *
 * @JsonController()
 * class PredictionController {
 *   @Post('/predict/')
 *   @Traced('drum.invocations')
 *   predict() {
 *     return { predictions: [] };
 *   }
 * }
 *
 * @NoTrace()
 * @JsonController()
 * class HealthController {
 *   @Get('/ping/')
 *   ping() {
 *     return { message: 'OK' };
 *   }
 * }
 *
 * const app = createExpressServer({
 *   controllers: instrumentControllers([PredictionController, HealthController]),
 * });
 * app.listen(8080);
 * ```
 */
export function instrumentControllers<T extends Function>(controllers: T[], options: InstrumentOptions = {}): T[] {
  if (!Array.isArray(controllers)) {
    throw new Error(`instrumentControllers: controllers must be an array of controller classes, got ${describeValue(controllers)}`);
  }
  const settings = resolveSettings(options);
  const storage = getMetadataArgsStorage();
  // Plan everything first: a mistake in any controller throws before anything is changed.
  const planned = controllers
    .filter((controller, index) => assertController(storage, controller, index) && controllers.indexOf(controller) === index)
    .filter((controller) => !alreadyInstrumented(controller, settings))
    .map((controller) => ({ controller, actions: planController(storage, settings, controller) }));
  for (const { controller, actions } of planned) {
    installController(storage, settings, controller, actions);
  }
  return controllers;
}

/**
 * Whether `controller` is instrumented already, with the same options.
 *
 * @throws Error naming the controller and the option when it was instrumented with other options: they would
 *   be silently ignored, its spans going where the first call said.
 */
function alreadyInstrumented(controller: Function, settings: Settings): boolean {
  const existing = instrumentationOf(controller);
  if (existing === undefined) return false;
  const option = differingOption(existing.settings, settings);
  if (option !== undefined) {
    throw new Error(
      `instrumentControllers: ${controller.name} is already instrumented, with another ${option}; ` +
        'instrument each controller once, with one options object',
    );
  }
  return true;
}

function installController(storage: MetadataStorage, settings: Settings, controller: Function, actions: Map<ActionArgs, ActionPlan>): void {
  const plans = [...actions.values()];
  markInstrumented(controller, { settings, plans: new Map(plans.map((plan) => [plan.method, plan])) });
  if (plans.some((plan) => plan.traced)) {
    registerFirstMiddleware(storage, controller, controllerMiddleware(new ControllerTracing(settings, controller, plans)));
  }
  for (const [args, plan] of actions) {
    overrideActionCall(args);
    if (plan.traced) watchForUntracedCalls(plan);
  }
}
