import 'reflect-metadata';
import type { Attributes } from '@opentelemetry/api';
import { describeValue } from './describe';
import type { TracedOptions } from './types';

// String keys, not module-private symbols: a consumer that loads both the ESM and the CommonJS entry (or
// two copies of the package) must still see one set of decorations.
const TRACED_KEY = 'drum-otel:traced';
const NO_TRACE_KEY = 'drum-otel:no-trace';
const DECORATED_METHODS_KEY = 'drum-otel:decorated-methods';

/** What `@Traced()` stored, validated and frozen at decoration time. */
export interface TracedSettings {
  readonly name: string | undefined;
  readonly attributes: Readonly<Attributes>;
}

/** The decision one decorator (or the absence of any) makes for an action. */
export type TracingDecision =
  | { readonly traced: true; readonly settings: TracedSettings }
  | { readonly traced: false };

/**
 * A decorator that fits both a class and a method, as `@Traced()` and `@NoTrace()` do.
 *
 * @category Decorators
 */
export type ClassOrMethodDecorator = ClassDecorator & MethodDecorator;

/**
 * Gives the decorated action, or every action of the decorated controller class, an OpenTelemetry span
 * named `drum.<METHOD> <route template>` (or the given name) when the class is passed to
 * {@link instrumentControllers}. A method's decorator beats its class's; decorators on a base class apply
 * to the actions its subclasses inherit.
 *
 * @param options - The span name, or {@link TracedOptions}.
 * @throws Error naming the class and method when the name is empty, an attribute value is not a valid
 *   OpenTelemetry attribute value, or the target is a static method, an accessor or a property.
 * @category Decorators
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { Body, JsonController, Post } from 'routing-controllers';
 * import { Traced } from 'drum-otel';
 *
 * @JsonController()
 * @Traced()
 * export class PredictionController {
 *   @Post('/predict/')
 *   @Traced({ name: 'drum.invocations', attributes: { 'drum.kind': 'predict' } })
 *   predict(@Body() body: unknown) {
 *     return { predictions: [body] };
 *   }
 * }
 * ```
 */
export function Traced(options?: string | TracedOptions): ClassOrMethodDecorator {
  return tracingDecorator('@Traced()', TRACED_KEY, (where) => tracedSettings(where, options));
}

/**
 * Marks an action, or every action of a controller class, as never traced: it gets no span, and tracing is
 * suppressed while it runs, so spans its own code starts are not recorded either. This is how a model
 * server's health and metadata routes stay out of the traces, instead of a list of URL strings.
 *
 * @category Decorators
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { Get, JsonController } from 'routing-controllers';
 * import { NoTrace } from 'drum-otel';
 *
 * @NoTrace()
 * @JsonController()
 * export class HealthController {
 *   @Get('/ping/')
 *   ping() {
 *     return { message: 'OK' };
 *   }
 * }
 * ```
 */
export function NoTrace(): ClassOrMethodDecorator {
  return tracingDecorator('@NoTrace()', NO_TRACE_KEY, () => true);
}

function tracingDecorator(
  decoratorName: string,
  key: string,
  valueFor: (where: string) => unknown,
): ClassOrMethodDecorator {
  return ((target: object, propertyKey?: string | symbol | StandardDecoratorContext, descriptor?: PropertyDescriptor) => {
    if (isStandardDecoratorContext(propertyKey)) throw standardDecoratorError(decoratorName, target, propertyKey);
    if (propertyKey === undefined) {
      const where = describeClass(target);
      Reflect.defineMetadata(key, valueFor(where), target);
      return;
    }
    const where = `${describeClass(target)}.${String(propertyKey)}`;
    assertInstanceMethod(decoratorName, where, target, descriptor);
    Reflect.defineMetadata(key, valueFor(where), target, propertyKey);
    rememberDecoratedMethod(target, propertyKey);
  }) as ClassOrMethodDecorator;
}

/** The second argument of a standard (TC39) decorator call: what TypeScript emits without `experimentalDecorators`. */
interface StandardDecoratorContext {
  readonly kind: string;
  readonly name?: string | symbol;
}

function isStandardDecoratorContext(value: unknown): value is StandardDecoratorContext {
  return value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string';
}

/**
 * Standard decorators would receive no property descriptor and no `design:*` metadata: neither drum-otel's
 * decorators nor routing-controllers' work that way, so the build configuration is what must change.
 */
function standardDecoratorError(decoratorName: string, target: object, context: StandardDecoratorContext): Error {
  const where = `${context.kind} ${String(context.name ?? describeClass(target))}`;
  return new Error(
    `${decoratorName} on ${where} was applied as a standard (TC39) decorator: drum-otel and routing-controllers ` +
      'need TypeScript\'s legacy decorators. Set "experimentalDecorators": true and "emitDecoratorMetadata": true ' +
      'in tsconfig.json',
  );
}

function assertInstanceMethod(
  decoratorName: string,
  where: string,
  target: object,
  descriptor: PropertyDescriptor | undefined,
): void {
  if (typeof target === 'function') {
    throw new Error(`${decoratorName} cannot decorate static method ${where}: actions are instance methods`);
  }
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw new Error(`${decoratorName} can only decorate a class or a method; ${where} is not a method`);
  }
}

function describeClass(target: object): string {
  const constructor = typeof target === 'function' ? target : target.constructor;
  return constructor?.name || '<anonymous class>';
}

function rememberDecoratedMethod(prototype: object, propertyKey: string | symbol): void {
  const methods: (string | symbol)[] = Reflect.getOwnMetadata(DECORATED_METHODS_KEY, prototype) ?? [];
  if (!methods.includes(propertyKey)) {
    Reflect.defineMetadata(DECORATED_METHODS_KEY, [...methods, propertyKey], prototype);
  }
}

function tracedSettings(where: string, options: string | TracedOptions | undefined): TracedSettings {
  const { name, attributes = {} } = typeof options === 'string' ? { name: options } : (options ?? {});
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
    throw new Error(`@Traced() on ${where}: the span name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new Error(`@Traced() on ${where}: attributes must be an object, got ${describeValue(attributes)}`);
  }
  for (const [key, value] of Object.entries(attributes)) {
    if (!isSimpleAttributeValue(value)) {
      throw new Error(`@Traced() on ${where}: attribute ${JSON.stringify(key)} has an invalid value ${describeValue(value)}`);
    }
  }
  return Object.freeze({ name, attributes: Object.freeze({ ...attributes }) });
}

/**
 * The decision for one action of `controller`: its method's own decorator (looked up from the controller's
 * prototype towards its bases), else its class's (from the controller towards its bases), else `undefined`.
 * Class-level `@Traced()` attributes are merged under a method's own.
 *
 * @throws Error naming `Class.method` (or `Class`) where `@Traced()` and `@NoTrace()` are both applied.
 */
export function decisionFor(controller: Function, method: string): TracingDecision | undefined {
  const own = firstDecision(prototypeChain(controller.prototype), method);
  const inherited = firstDecision(constructorChain(controller), undefined);
  if (own === undefined) return inherited;
  if (!own.traced || inherited === undefined || !inherited.traced) return own;
  return {
    traced: true,
    settings: {
      name: own.settings.name ?? inherited.settings.name,
      attributes: { ...inherited.settings.attributes, ...own.settings.attributes },
    },
  };
}

/** The methods of `controller` and its bases that carry `@Traced()` or `@NoTrace()`. */
export function decoratedMethods(controller: Function): string[] {
  const names = new Set<string>();
  for (const prototype of prototypeChain(controller.prototype)) {
    const methods: (string | symbol)[] = Reflect.getOwnMetadata(DECORATED_METHODS_KEY, prototype) ?? [];
    for (const method of methods) names.add(String(method));
  }
  return [...names];
}

function firstDecision(targets: Iterable<object>, method: string | undefined): TracingDecision | undefined {
  for (const target of targets) {
    const decision = ownDecision(target, method);
    if (decision !== undefined) return decision;
  }
  return undefined;
}

function ownDecision(target: object, method: string | undefined): TracingDecision | undefined {
  const settings: TracedSettings | undefined = Reflect.getOwnMetadata(TRACED_KEY, target, method as string);
  const noTrace = Reflect.getOwnMetadata(NO_TRACE_KEY, target, method as string) === true;
  if (settings !== undefined && noTrace) {
    const where = method === undefined ? describeClass(target) : `${describeClass(target)}.${method}`;
    throw new Error(`${where} has both @Traced() and @NoTrace(); keep one of them`);
  }
  if (settings !== undefined) return { traced: true, settings };
  return noTrace ? { traced: false } : undefined;
}

function* prototypeChain(prototype: object | null): Generator<object> {
  for (let current = prototype; current !== null && current !== Object.prototype; ) {
    yield current;
    current = Object.getPrototypeOf(current);
  }
}

function* constructorChain(controller: Function): Generator<Function> {
  for (let current: unknown = controller; typeof current === 'function' && current !== Function.prototype; ) {
    yield current;
    current = Object.getPrototypeOf(current);
  }
}

/**
 * Whether `value` is an attribute value every SDK line accepts: a string, number or boolean, or an array of
 * one of those (null and undefined elements allowed). Values the 3.x SDK also takes (maps, byte arrays) would
 * be dropped by a 2.x SDK, so they are refused when the decorator runs.
 */
function isSimpleAttributeValue(value: unknown): boolean {
  if (!Array.isArray(value)) return isPrimitiveAttributeValue(value);
  const types = new Set(value.filter((element) => element !== null && element !== undefined).map((element) => typeof element));
  return types.size === 0 || (types.size === 1 && value.some(isPrimitiveAttributeValue));
}

function isPrimitiveAttributeValue(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
