import {
  context,
  createNoopMeter,
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

function alreadyRegistered(provider: 'tracer' | 'meter'): Error {
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
 * Registers the providers (the meter provider when there is one), the propagator and an AsyncLocalStorage
 * context manager globally.
 */
export function registerGlobals({ tracerProvider, meterProvider }: Providers, propagator: TextMapPropagator): void {
  // The providers first: an API copy of another version holding the globals is only seen here.
  if (!trace.setGlobalTracerProvider(tracerProvider)) throw alreadyRegistered('tracer');
  if (meterProvider !== undefined && !metrics.setGlobalMeterProvider(meterProvider)) {
    trace.disable();
    throw alreadyRegistered('meter');
  }
  propagation.setGlobalPropagator(propagator);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Unregisters what {@link registerGlobals} registered for `providers`, and nothing it left alone. */
export function unregisterGlobals({ meterProvider }: Pick<Providers, 'meterProvider'>): void {
  trace.disable();
  if (meterProvider !== undefined) metrics.disable();
  propagation.disable();
  context.disable();
}
