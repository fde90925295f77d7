import type { ActionPlan } from './plan';
import type { Settings } from './settings';

// Symbol.for: two copies of the library in one process must recognise each other's marks.
const INSTRUMENTED = Symbol.for('drum-otel.instrumented');

/** What instrumenting a controller left on it. */
export interface Instrumentation {
  readonly settings: Settings;
  /** The plans of its actions, by method name (the tracing decision is the same for every route of a method). */
  readonly plans: ReadonlyMap<string, ActionPlan>;
}

/** The instrumentation of `controller` itself (not one inherited from an instrumented base class). */
export function instrumentationOf(controller: Function): Instrumentation | undefined {
  return Object.prototype.hasOwnProperty.call(controller, INSTRUMENTED)
    ? (controller as { [INSTRUMENTED]?: Instrumentation })[INSTRUMENTED]
    : undefined;
}

export function markInstrumented(controller: Function, instrumentation: Instrumentation): void {
  Object.defineProperty(controller, INSTRUMENTED, { value: instrumentation });
}
