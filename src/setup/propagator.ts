import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';

/**
 * The propagator setupOtel registers: B3 (extracting the single `b3` header and the multi `X-B3-*` headers,
 * injecting the multi headers), then W3C trace context and baggage. Extraction runs in that order and the
 * last one that finds a parent wins, so `traceparent` beats B3 when a request carries both.
 */
export function createPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

