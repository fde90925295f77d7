import type { Attributes } from '@opentelemetry/api';
import { ActionMetadata } from 'routing-controllers';
import { decisionFor, decoratedMethods, type TracingDecision } from '../decorators';
import { describeValue } from '../describe';
import { routeTemplate } from '../span';
import type { ActionArgs, MetadataStorage } from './internal-types';
import type { Settings } from './settings';

/** Everything about one action that does not depend on a request, computed when it is instrumented. */
export interface ActionPlan {
  readonly controller: Function;
  /** `Class.method`, for messages. */
  readonly where: string;
  /** The controller method's name. */
  readonly method: string;
  readonly traced: boolean;
  /** The action's method as Express names it: `get`, `post`, ..., or `all`. */
  readonly routeMethod: string;
  /** The action's HTTP method as requests spell it: `GET`, `POST`, ..., or `ALL`. */
  readonly httpMethod: string;
  /** The action's route with its controller's route, without any route prefix, as template text. */
  readonly route: string;
  /** Whether the route is a regular expression, which routing-controllers registers without a prefix. */
  readonly pattern: boolean;
  /** The `@Traced` name; `undefined` for the default `<prefix>.<METHOD> <route>`. */
  readonly name: string | undefined;
  readonly attributes: Readonly<Attributes>;
  readonly hasAttributes: boolean;
}

/** @throws Error naming the controller when it is not a routing-controllers controller class. */
export function assertController(storage: MetadataStorage, controller: unknown, index: number): controller is Function {
  if (typeof controller !== 'function') {
    throw new Error(`instrumentControllers: controllers[${index}] is not a class, got ${describeValue(controller)}`);
  }
  if (!storage.controllers.some((args) => args.target === controller)) {
    throw new Error(
      `instrumentControllers: ${controller.name || `controllers[${index}]`} is not a routing-controllers controller ` +
        '(decorate it with @Controller() or @JsonController())',
    );
  }
  return true;
}

/**
 * The plans of a controller's actions, by the metadata routing-controllers builds each route from.
 *
 * @throws Error naming `Class.method` when a method with a tracing decorator is not an action, or when an
 *   action has both `@Traced()` and `@NoTrace()`.
 */
export function planController(storage: MetadataStorage, settings: Settings, controller: Function): Map<ActionArgs, ActionPlan> {
  const controllerArgs = storage.controllers.find((args) => args.target === controller)!;
  const actions = actionArgsOf(storage, controller);
  for (const method of decoratedMethods(controller)) {
    if (!actions.some((action) => action.method === method)) {
      throw new Error(
        `${controller.name}.${method} has @Traced() or @NoTrace() but is not a routing-controllers action ` +
          '(add @Get(), @Post(), ... or remove the tracing decorator)',
      );
    }
  }
  return new Map(actions.map((args) => [args, planAction(settings, controller, controllerArgs.route, args)]));
}

/**
 * The actions routing-controllers will build for `controller`, as its `MetadataBuilder` finds them: its own
 * (several routes may share a method), then those of its bases whose method it does not override.
 */
function actionArgsOf(storage: MetadataStorage, controller: Function): ActionArgs[] {
  const actions: ActionArgs[] = [];
  for (let target: unknown = controller; typeof target === 'function'; target = Object.getPrototypeOf(target)) {
    const overridden = new Set(actions.map((action) => action.method));
    actions.push(...storage.actions.filter((args) => args.target === target && !overridden.has(args.method)));
  }
  return actions;
}

const UNTRACED: TracingDecision = { traced: false };

function planAction(settings: Settings, controller: Function, controllerRoute: string | undefined, args: ActionArgs): ActionPlan {
  const decision =
    decisionFor(controller, args.method) ??
    (settings.traceUndecorated ? { traced: true, settings: { name: undefined, attributes: {} } } : UNTRACED);
  const route = fullRoute(controllerRoute, args.route);
  const attributes = decision.traced ? decision.settings.attributes : {};
  return {
    controller,
    where: `${controller.name}.${args.method}`,
    method: args.method,
    traced: decision.traced,
    routeMethod: args.type.toLowerCase(),
    httpMethod: args.type.toUpperCase(),
    route: routeTemplate(route),
    pattern: route instanceof RegExp,
    name: decision.traced ? decision.settings.name : undefined,
    attributes,
    hasAttributes: Object.keys(attributes).length > 0,
  };
}

/** The action's route below the controller's, as routing-controllers' `ActionMetadata` builds it. */
function fullRoute(controllerRoute: string | undefined, actionRoute: string | RegExp): string | RegExp {
  if (actionRoute instanceof RegExp) {
    return controllerRoute ? ActionMetadata.appendBaseRoute(controllerRoute, actionRoute) : actionRoute;
  }
  return `${controllerRoute ?? ''}${actionRoute ?? ''}`;
}
