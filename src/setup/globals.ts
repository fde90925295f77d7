import {
  context,
  createContextKey,
  createNoopMeter,
  logs,
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { Providers } from './handle';

/** What the API's tracer provider delegates to while no provider is registered. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** The Error of a provider slot someone else holds. */
export function alreadyRegistered(provider: 'tracer' | 'meter' | 'logger'): Error {
  return new Error(`setupOtel: a ${provider} provider is already registered globally; setupOtel was not applied`);
}

/**
 * Throws when another SDK already registered a tracer provider globally, or a meter provider where setupOtel
 * is to register one (`withMeterProvider`): setupOtel then leaves everything (the providers, the propagator,
 * the context manager and the `diag` logger) as it found it.
 */
export function assertNoProviderRegistered(withMeterProvider: boolean): void {
  if (registeredTracerProvider() !== undefined) throw alreadyRegistered('tracer');
  if (withMeterProvider && registeredMeterProvider() !== undefined) throw alreadyRegistered('meter');
}

/** The tracer provider registered globally: what the API's proxy delegates to, unless its no-op one. */
function registeredTracerProvider(): unknown {
  const proxy = trace.getTracerProvider();
  if (!(proxy instanceof ProxyTracerProvider)) return proxy;
  const delegate = proxy.getDelegate();
  return delegate === NO_TRACER_PROVIDER ? undefined : delegate;
}

/** The meter provider registered globally: without one, the API hands out its one no-op meter. */
function registeredMeterProvider(): unknown {
  const provider = metrics.getMeterProvider();
  return provider.getMeter('drum-otel') === createNoopMeter() ? undefined : provider;
}

/**
 * Registers the providers (the meter and logger providers when there are), the propagator and an
 * AsyncLocalStorage context manager globally; when a provider cannot be registered, unregisters those it
 * registered and throws.
 */
export function registerGlobals(
  providers: Providers & { readonly tracerProvider: TracerProvider },
  propagator: TextMapPropagator,
): void {
  const { tracerProvider, meterProvider, loggerProvider } = providers;
  // The providers first: an API copy of another version holding the globals, and a logger provider someone
  // else registered (the API offers no way to ask without taking the slot), are only seen here.
  if (!trace.setGlobalTracerProvider(tracerProvider)) throw alreadyRegistered('tracer');
  if (meterProvider !== undefined && !metrics.setGlobalMeterProvider(meterProvider)) {
    trace.disable();
    throw alreadyRegistered('meter');
  }
  if (loggerProvider !== undefined && !logs.setGlobalLoggerProvider(loggerProvider)) {
    trace.disable();
    if (meterProvider !== undefined) metrics.disable();
    throw alreadyRegistered('logger');
  }
  propagation.setGlobalPropagator(propagator);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Unregisters what {@link registerGlobals} registered for `providers`, and nothing it left alone. */
export function unregisterGlobals({ meterProvider, loggerProvider }: Pick<Providers, 'meterProvider' | 'loggerProvider'>): void {
  trace.disable();
  if (meterProvider !== undefined) metrics.disable();
  if (loggerProvider !== undefined) logs.disable();
  propagation.disable();
  context.disable();
}

/**
 * The providers registered globally, read back through the API after another setup registered them (the
 * SDK's startNodeSdk, which returns none): the tracer provider behind the API's proxy, the meter provider
 * unless the API's no-op one, and the logger provider unless it is still `loggerProviderBefore` (the API hands
 * out its proxy while none is registered, and offers no other way to tell). Only meaningful when none was
 * registered before: then each one found is the SDK's.
 */
export function readRegisteredProviders(loggerProviderBefore: unknown): Providers {
  const loggerProvider = logs.getLoggerProvider();
  return {
    tracerProvider: registeredTracerProvider() as TracerProvider | undefined,
    meterProvider: registeredMeterProvider() as MeterProvider | undefined,
    loggerProvider: loggerProvider === loggerProviderBefore ? undefined : (loggerProvider as LoggerProvider),
  };
}

const PROBE_KEY = createContextKey('drum-otel probe');

/** Whether a context manager is registered: the API's no-op one forgets every value it is given. */
export function contextManagerRegistered(): boolean {
  return context.with(context.active().setValue(PROBE_KEY, true), () => context.active().getValue(PROBE_KEY) === true);
}
