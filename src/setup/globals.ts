import {
  context,
  createNoopMeter,
  logs,
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Providers } from './handle';

/** What the API's tracer provider delegates to while no provider is registered. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

function alreadyRegistered(provider: 'tracer' | 'meter' | 'logger'): Error {
  return new Error(`setupOtel: a ${provider} provider is already registered globally; setupOtel was not applied`);
}

/**
 * Throws when another SDK already registered a tracer provider globally, or a meter provider where setupOtel
 * is to register one (`withMeterProvider`): setupOtel then leaves everything (the providers, the propagator,
 * the context manager and the `diag` logger) as it found it.
 */
export function assertNoProviderRegistered(withMeterProvider: boolean): void {
  const tracerProvider = trace.getTracerProvider();
  if (!(tracerProvider instanceof ProxyTracerProvider) || tracerProvider.getDelegate() !== NO_TRACER_PROVIDER) {
    throw alreadyRegistered('tracer');
  }
  // Without a registered provider, the API hands out its one no-op meter.
  if (withMeterProvider && metrics.getMeterProvider().getMeter('drum-otel') !== createNoopMeter()) {
    throw alreadyRegistered('meter');
  }
}

/**
 * Registers the providers (the meter and logger providers when there are), the propagator and an
 * AsyncLocalStorage context manager globally; when a provider cannot be registered, unregisters those it
 * registered and throws.
 */
export function registerGlobals(providers: Providers, propagator: TextMapPropagator): void {
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
