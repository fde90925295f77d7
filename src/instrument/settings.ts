import { diag, trace, type Tracer } from '@opentelemetry/api';
import { describeValue } from '../describe';
import { prepareHeaderCaptures, type HeaderCapture } from '../headers';
import type { HeaderAttributes, InstrumentOptions, RequestHook, ResponseHook } from '../types';
import { INSTRUMENTATION_NAME, VERSION } from '../version';
import {
  chooseExceptionSignal,
  EXCEPTION_SIGNAL_VARIABLE,
  exceptionRecording,
  isExceptionSignal,
} from './exception-signal';
import type { ExceptionRecording } from '../span';
import { HttpServerMetrics } from './metrics';

/** Everything about the options that does not depend on a request, resolved once per call. */
export interface Settings {
  readonly tracer: Tracer;
  /** Whether the `tracerProvider` option was given (spans do not go to the global provider then). */
  readonly ownTracerProvider: boolean;
  /** The `routePrefix` option as routing-controllers would apply it, or `undefined` when not given. */
  readonly routePrefixHint: string | undefined;
  readonly spanNamePrefix: string;
  readonly traceUndecorated: boolean;
  /** The user's `headerAttributes`; without one, the identity headers are read straight into the attributes. */
  readonly headerAttributes: HeaderAttributes | undefined;
  readonly headerCaptures: readonly HeaderCapture[];
  readonly requestHook: RequestHook | undefined;
  readonly responseHook: ResponseHook | undefined;
  readonly trustProxy: boolean;
  readonly recordBodySizes: boolean;
  readonly internalSpan: boolean;
  readonly metrics: HttpServerMetrics | undefined;
  readonly exceptions: ExceptionRecording;
  /** The options as given (defaults applied), to tell a second call with other options from a repeated one. */
  readonly given: Readonly<Record<string, unknown>>;
}

const BOOLEAN_OPTIONS = ['traceUndecorated', 'trustProxy', 'recordBodySizes', 'internalSpan', 'metrics'] as const;
const FUNCTION_OPTIONS = ['headerAttributes', 'requestHook', 'responseHook'] as const;

/**
 * Validates the options of `instrumentControllers` and resolves them once.
 *
 * @throws Error naming the option when one has the wrong type.
 */
export function resolveSettings(options: InstrumentOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new Error(`instrumentControllers: options must be an object, got ${describeValue(options)}`);
  }
  const { tracerProvider, meterProvider, routePrefix, spanNamePrefix = 'drum' } = options;
  expectProvider('tracerProvider', tracerProvider, 'getTracer', 'TracerProvider');
  expectProvider('meterProvider', meterProvider, 'getMeter', 'MeterProvider');
  if (routePrefix !== undefined) expectType('routePrefix', routePrefix, 'string');
  expectType('spanNamePrefix', spanNamePrefix, 'string');
  const flags = { traceUndecorated: true, trustProxy: false, recordBodySizes: false, internalSpan: true, metrics: true };
  for (const name of BOOLEAN_OPTIONS) {
    if (options[name] !== undefined) flags[name] = expectType(name, options[name], 'boolean');
  }
  for (const name of FUNCTION_OPTIONS) {
    if (options[name] !== undefined) expectType(name, options[name], 'function');
  }
  const headerCaptures = prepareHeaderCaptures(options.captureRequestHeaders);
  if (options.exceptionSignal !== undefined && !isExceptionSignal(options.exceptionSignal)) {
    throw new Error(`instrumentControllers: exceptionSignal must be span-event, logs or logs/dup, got ${describeValue(options.exceptionSignal)}`);
  }
  const warn = (message: string) => diag.warn(`drum-otel: ${message}`);
  const exceptionSignal = chooseExceptionSignal(options.exceptionSignal, process.env[EXCEPTION_SIGNAL_VARIABLE], warn);
  return {
    // The proxy tracer of the global provider resolves the provider registered at the time a span starts.
    tracer: (tracerProvider ?? trace).getTracer(INSTRUMENTATION_NAME, VERSION),
    ownTracerProvider: tracerProvider !== undefined,
    routePrefixHint: routePrefix === undefined ? undefined : appliedRoutePrefix(routePrefix),
    spanNamePrefix,
    ...flags,
    headerAttributes: options.headerAttributes,
    headerCaptures,
    requestHook: options.requestHook,
    responseHook: options.responseHook,
    metrics: flags.metrics ? new HttpServerMetrics(meterProvider) : undefined,
    exceptions: exceptionRecording(exceptionSignal, warn),
    given: {
      tracerProvider,
      meterProvider,
      routePrefix,
      spanNamePrefix,
      ...flags,
      headerAttributes: options.headerAttributes,
      captureRequestHeaders: headerCaptures.map((capture) => capture.header).join(),
      requestHook: options.requestHook,
      responseHook: options.responseHook,
      exceptionSignal,
    },
  };
}

/** The first option whose value differs between two calls, or `undefined` when they agree. */
export function differingOption(first: Settings, second: Settings): string | undefined {
  return Object.keys(first.given).find((name) => !Object.is(first.given[name], second.given[name]));
}

/** The prefix routing-controllers puts in front of every route for a `routePrefix` option (`api` → `/api`). */
function appliedRoutePrefix(routePrefix: string): string {
  return routePrefix !== '' && !routePrefix.includes('/') ? `/${routePrefix}` : routePrefix;
}

function expectType<T>(option: string, value: T, type: string): T {
  if (typeof value !== type) {
    throw new Error(`instrumentControllers: ${option} must be a ${type}, got ${typeof value} ${describeValue(value)}`);
  }
  return value;
}

function expectProvider(option: string, provider: unknown, method: string, type: string): void {
  if (provider !== undefined && typeof (provider as Record<string, unknown> | null)?.[method] !== 'function') {
    throw new Error(`instrumentControllers: ${option} must be a ${type}, got ${describeValue(provider)}`);
  }
}
