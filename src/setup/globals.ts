import { context, propagation, ProxyTracerProvider, trace, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const ALREADY_REGISTERED = 'setupOtel: a tracer provider is already registered globally; setupOtel was not applied';

/** What the API's tracer provider delegates to while no provider is registered. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Throws when another SDK already registered a tracer provider globally: setupOtel then leaves everything
 * (the provider, the propagator, the context manager and the `diag` logger) as it found it.
 */
export function assertNoProviderRegistered(): void {
  const global = trace.getTracerProvider();
  if (!(global instanceof ProxyTracerProvider) || global.getDelegate() !== NO_TRACER_PROVIDER) {
    throw new Error(ALREADY_REGISTERED);
  }
}

/** Registers the provider, the propagator and an AsyncLocalStorage context manager globally. */
export function registerGlobals(tracerProvider: NodeTracerProvider, propagator: TextMapPropagator): void {
  // The provider first: an API copy of another version holding the globals is only seen here.
  if (!trace.setGlobalTracerProvider(tracerProvider)) {
    void tracerProvider.shutdown();
    throw new Error(ALREADY_REGISTERED);
  }
  propagation.setGlobalPropagator(propagator);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Unregisters what {@link registerGlobals} registered. */
export function unregisterGlobals(): void {
  trace.disable();
  propagation.disable();
  context.disable();
}
