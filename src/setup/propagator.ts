import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import type { PropagatorName } from './types';

const PROPAGATORS: Readonly<Record<PropagatorName, () => TextMapPropagator>> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
};

/** The names `OTEL_PROPAGATORS` and the `propagators` option accept (besides `none`). */
export const PROPAGATOR_NAMES = Object.keys(PROPAGATORS) as readonly PropagatorName[];

/**
 * DRUM's set, when neither `OTEL_PROPAGATORS` nor the option names one: B3 (extracting the single `b3` header
 * and the multi `X-B3-*` headers, injecting the multi headers), then W3C trace context and baggage.
 */
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ['b3multi', 'tracecontext', 'baggage'];

/**
 * The propagators `names` lists, composed: extraction runs in that order and the last one that finds a parent
 * wins (with the default, `traceparent` beats B3 when a request carries both); injection writes every format.
 */
export function createPropagator(names: readonly PropagatorName[]): TextMapPropagator {
  return new CompositePropagator({ propagators: names.map((name) => PROPAGATORS[name]()) });
}
