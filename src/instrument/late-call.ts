import { insideActionCall } from './action-call';
import type { ActionPlan } from './plan';
import { warnMisuse } from './warnings';

// Routes built before instrumentControllers() never reach the action call override. Only the method on the
// prototype is looked up per request, so it is where a late call is noticed: once, never on the traced path.

// Symbol.for: two copies of the library must not wrap one method twice.
const ORIGINAL_METHOD = Symbol.for('drum-otel.original-method');

let lateCallReported = false;

/** Wraps the traced action's method so that a call from routes built without drum-otel is reported. */
export function watchForUntracedCalls(plan: ActionPlan): void {
  const { controller, method } = plan;
  const prototype = controller.prototype as Record<string, unknown>;
  const original = prototype[method];
  if (typeof original !== 'function' || (original as { [ORIGINAL_METHOD]?: Function })[ORIGINAL_METHOD]) return;
  const watched = {
    [method](this: unknown) {
      if (!lateCallReported && !insideActionCall()) reportIfCalledByRoutingControllers(plan);
      // `arguments`, not a rest parameter: the call goes through unchanged, however many arguments it has.
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments);
    },
  }[method];
  copyFunctionIdentity(original, watched);
  Object.defineProperty(watched, ORIGINAL_METHOD, { value: original });
  const descriptor = descriptorInChain(prototype, method)!;
  Object.defineProperty(prototype, method, { ...descriptor, value: watched });
}

function reportIfCalledByRoutingControllers(plan: ActionPlan): void {
  const frames: { stack?: string } = {};
  Error.captureStackTrace(frames, reportIfCalledByRoutingControllers);
  if (!frames.stack?.includes('ActionMetadata.callMethod')) return;
  lateCallReported = true;
  warnMisuse(
    'DRUM_OTEL_LATE_INSTRUMENTATION',
    `${plan.where} was called by routes that routing-controllers built before instrumentControllers() ran, so its ` +
      'requests get no span. Call instrumentControllers() before createExpressServer()/useExpressServer() ' +
        '(or createKoaServer()/useKoaServer()).',
  );
}

/** Keeps `name`, `length` and metadata defined on the function object itself (not on the prototype). */
function copyFunctionIdentity(from: Function, to: Function): void {
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
  Object.defineProperty(to, 'length', { value: from.length, configurable: true });
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}

function descriptorInChain(prototype: object, method: string): PropertyDescriptor | undefined {
  for (let current: object | null = prototype; current !== null; current = Object.getPrototypeOf(current)) {
    const descriptor = Object.getOwnPropertyDescriptor(current, method);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}
