import test from 'ava';
import { defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, trace, type SpanContext } from '@opentelemetry/api';
import { createPropagator, DEFAULT_PROPAGATORS } from '../../src/setup/propagator';
import type { PropagatorName } from '../../src/setup/types';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const B3_TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const B3_SPAN_ID = 'a2fb4a1d1a96d312';

const TRACEPARENT = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` };
const B3_SINGLE = { b3: `${B3_TRACE_ID}-${B3_SPAN_ID}-1` };
const B3_MULTI = { 'x-b3-traceid': B3_TRACE_ID, 'x-b3-spanid': B3_SPAN_ID, 'x-b3-sampled': '1' };

function extractedParent(names: readonly PropagatorName[], headers: Record<string, string>): SpanContext | undefined {
  return trace.getSpanContext(createPropagator(names).extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

function injected(names: readonly PropagatorName[]): Record<string, string> {
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  const withBaggage = propagation.setBaggage(parent, propagation.createBaggage({ tenant: { value: 'acme' } }));
  const carrier: Record<string, string> = {};
  createPropagator(names).inject(withBaggage, carrier, defaultTextMapSetter);
  return carrier;
}

test('the default is DRUM set: traceparent, the B3 single header and the B3 multi headers each give the parent', (t) => {
  t.deepEqual(DEFAULT_PROPAGATORS, ['b3multi', 'tracecontext', 'baggage']);
  t.like(extractedParent(DEFAULT_PROPAGATORS, TRACEPARENT), { traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
  t.like(extractedParent(DEFAULT_PROPAGATORS, B3_SINGLE), { traceId: B3_TRACE_ID, spanId: B3_SPAN_ID, isRemote: true });
  t.like(extractedParent(DEFAULT_PROPAGATORS, B3_MULTI), { traceId: B3_TRACE_ID, spanId: B3_SPAN_ID, isRemote: true });
  t.is(extractedParent(DEFAULT_PROPAGATORS, {}), undefined);
});

test('the default: traceparent wins over B3 when a request carries both; baggage is extracted', (t) => {
  const extracted = createPropagator(DEFAULT_PROPAGATORS).extract(ROOT_CONTEXT, { ...B3_MULTI, ...TRACEPARENT, baggage: 'tenant=acme' }, defaultTextMapGetter);
  t.like(trace.getSpanContext(extracted), { traceId: TRACE_ID, spanId: SPAN_ID });
  t.is(propagation.getBaggage(extracted)?.getEntry('tenant')?.value, 'acme');
});

test('the default injects traceparent, baggage and the B3 multi headers, not the single one', (t) => {
  t.deepEqual(injected(DEFAULT_PROPAGATORS), {
    traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
    baggage: 'tenant=acme',
    'x-b3-traceid': TRACE_ID,
    'x-b3-spanid': SPAN_ID,
    'x-b3-sampled': '1',
  });
});

test('tracecontext alone: B3 headers give no parent; only traceparent and tracestate are injected', (t) => {
  t.is(extractedParent(['tracecontext'], B3_SINGLE), undefined);
  t.is(extractedParent(['tracecontext'], B3_MULTI), undefined);
  t.like(extractedParent(['tracecontext'], TRACEPARENT), { traceId: TRACE_ID });
  t.deepEqual(injected(['tracecontext']), { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });
});

test('b3 and b3multi extract both B3 forms and ignore traceparent; each injects its own form', (t) => {
  for (const name of ['b3', 'b3multi'] as const) {
    t.is(extractedParent([name], TRACEPARENT), undefined, name);
    t.like(extractedParent([name], B3_SINGLE), { traceId: B3_TRACE_ID }, name);
    t.like(extractedParent([name], B3_MULTI), { traceId: B3_TRACE_ID }, name);
  }
  t.deepEqual(injected(['b3']), { b3: `${TRACE_ID}-${SPAN_ID}-1` });
  t.deepEqual(injected(['b3multi']), { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' });
});

test('baggage alone carries baggage, never a parent; none (the empty list) does nothing', (t) => {
  const extracted = createPropagator(['baggage']).extract(ROOT_CONTEXT, { ...TRACEPARENT, baggage: 'tenant=acme' }, defaultTextMapGetter);
  t.is(trace.getSpanContext(extracted), undefined);
  t.is(propagation.getBaggage(extracted)?.getEntry('tenant')?.value, 'acme');
  t.deepEqual(injected(['baggage']), { baggage: 'tenant=acme' });
  t.is(extractedParent([], { ...TRACEPARENT, ...B3_SINGLE }), undefined);
  t.deepEqual(injected([]), {});
  t.deepEqual(createPropagator([]).fields(), []);
});

test('in the order given, the last propagator that finds a parent wins', (t) => {
  const both = { ...TRACEPARENT, ...B3_SINGLE };
  t.like(extractedParent(['tracecontext', 'b3'], both), { traceId: B3_TRACE_ID });
  t.like(extractedParent(['b3', 'tracecontext'], both), { traceId: TRACE_ID });
});
