import { describeValue } from '../describe';
import type { ControllerTracing } from './controller-tracing';
import type { ExpressMiddleware, RoutedRequest } from './express/internal-types';
import type { ControllerMiddleware, MetadataStorage } from './internal-types';
import type { KoaContext, KoaMiddleware } from './koa/internal-types';
import { warnMisuse } from './warnings';

/**
 * Registers `middleware` before the controller's own `@UseBefore` middlewares, so that a request they reject
 * (an authentication middleware's 401, say) still has its span.
 */
export function registerFirstMiddleware(storage: MetadataStorage, controller: Function, middleware: ControllerMiddleware): void {
  const first = storage.uses.findIndex((use) => use.target === controller && use.method === undefined);
  const use = { target: controller, method: undefined as unknown as string, middleware, afterAction: false };
  if (first === -1) storage.uses.push(use);
  else storage.uses.splice(first, 0, use);
}

/**
 * The controller-wide middleware that starts a request's trace. routing-controllers registers one middleware
 * with whichever driver serves the controller (a controller may be served by Express and Koa in one process),
 * so it tells the driver by the arguments it is called with, and hands the request to that driver's module,
 * loaded on its first request: an Express app loads no Koa code, and a Koa app no Express code.
 */
export function controllerMiddleware(tracing: ControllerTracing): ControllerMiddleware {
  let express: ExpressMiddleware | undefined;
  let koa: KoaMiddleware | undefined;
  let unknownReported = false;
  return function drumOtelRequest(first, second, third) {
    if (typeof third === 'function') {
      express ??= loadExpressRequests()(tracing);
      return express(first as RoutedRequest, second as Parameters<ExpressMiddleware>[1], third as () => void);
    }
    if (typeof second === 'function' && isKoaContext(first)) {
      koa ??= loadKoaRequests()(tracing);
      return koa(first, second as () => Promise<unknown>);
    }
    if (!unknownReported) unknownReported = reportUnknownDriver(tracing, first, second);
    // Whatever continues the request for that driver: a Koa-style next, if it passed one.
    return typeof second === 'function' ? (second as () => unknown)() : undefined;
  };
}

function isKoaContext(value: unknown): value is KoaContext {
  return typeof value === 'object' && value !== null && (value as Partial<KoaContext>).res !== undefined;
}

// require(), not import: a driver's module is loaded only by an application that uses that driver.
function loadExpressRequests(): typeof import('./express/requests').expressRequests {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./express/requests') as typeof import('./express/requests')).expressRequests;
}

function loadKoaRequests(): typeof import('./koa/requests').koaRequests {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./koa/requests') as typeof import('./koa/requests')).koaRequests;
}

/**
 * A driver drum-otel does not know (a custom routing-controllers driver) called the middleware: its requests
 * go on untraced, and the misuse is reported once per controller, naming what the driver passed.
 */
function reportUnknownDriver(tracing: ControllerTracing, first: unknown, second: unknown): true {
  warnMisuse(
    'DRUM_OTEL_UNKNOWN_DRIVER',
    `${tracing.controller.name} is served by a routing-controllers driver drum-otel does not know (its middlewares ` +
      `are called with ${kindOf(first)} and ${kindOf(second)}), so its requests get no span. drum-otel traces the ` +
      'Express driver (createExpressServer, useExpressServer) and the Koa driver (createKoaServer, useKoaServer).',
  );
  return true;
}

/** What a value is, by its class where it has one (`a FastifyRequest`), for the message. */
function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? 'a function' : describeValue(value);
  try {
    const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
  } catch {
    // A proxy whose traps throw.
    return 'an object';
  }
}
