import test from 'ava';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { EnvironmentReader, type Environment } from '../../src/setup/environment';
import { createSampler, readSampler } from '../../src/setup/sampler';

// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, read by setupOtel (the SDK reads neither), and the SDK
// samplers built from them. Each built sampler is asked for real decisions.

function read(env: Environment): { plan: ReturnType<typeof readSampler>; warnings: string[] } {
  const reader = new EnvironmentReader(env);
  return { plan: readSampler(reader), warnings: reader.warnings };
}

// The ratio sampler compares the XOR of the id's four 32-bit words with the ratio's share of 2^32.
const ROOT_TRACE_ID = 'ffffffff000000000000000000000000';
const LOW_TRACE_ID = '00000000000000000000000000000001';

/** The decision of the sampler `env` configures for a root span of `traceId`, or a child of `parentSampled`. */
function decide(env: Environment, traceId = ROOT_TRACE_ID, parentSampled?: boolean): SamplingDecision {
  const sampler = createSampler(readSampler(new EnvironmentReader(env)));
  const parent =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: '00f067aa0ba902b7',
          traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return context.with(parent, () => sampler.shouldSample(parent, traceId, 'span', SpanKind.SERVER, {}, []).decision);
}

test('unset or empty: parentbased_always_on, ratio 1, nothing warned', (t) => {
  t.deepEqual(read({}), { plan: { name: 'parentbased_always_on', ratio: 1 }, warnings: [] });
  t.deepEqual(read({ OTEL_TRACES_SAMPLER: ' ', OTEL_TRACES_SAMPLER_ARG: '0.5' }), { plan: { name: 'parentbased_always_on', ratio: 1 }, warnings: [] });
  t.is(decide({}), SamplingDecision.RECORD_AND_SAMPLED);
  t.is(decide({}, ROOT_TRACE_ID, false), SamplingDecision.NOT_RECORD);
});

test('each name, in any case, builds its sampler', (t) => {
  t.is(decide({ OTEL_TRACES_SAMPLER: 'ALWAYS_OFF' }), SamplingDecision.NOT_RECORD);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'always_off' }, ROOT_TRACE_ID, true), SamplingDecision.NOT_RECORD);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'always_on' }, ROOT_TRACE_ID, false), SamplingDecision.RECORD_AND_SAMPLED);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }), SamplingDecision.NOT_RECORD);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, ROOT_TRACE_ID, true), SamplingDecision.RECORD_AND_SAMPLED);
});

test('traceidratio: the ratio of OTEL_TRACES_SAMPLER_ARG decides by trace id; 0 keeps no root; parentbased honours a sampled parent', (t) => {
  t.deepEqual(read({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).plan, { name: 'traceidratio', ratio: 0.25 });
  t.is(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, LOW_TRACE_ID), SamplingDecision.RECORD_AND_SAMPLED);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, ROOT_TRACE_ID), SamplingDecision.NOT_RECORD);
  t.is(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, LOW_TRACE_ID), SamplingDecision.NOT_RECORD);
  const parentBased = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
  t.is(decide(parentBased, LOW_TRACE_ID), SamplingDecision.NOT_RECORD);
  t.is(decide(parentBased, ROOT_TRACE_ID, true), SamplingDecision.RECORD_AND_SAMPLED);
  t.is(decide(parentBased, LOW_TRACE_ID, false), SamplingDecision.NOT_RECORD);
  t.deepEqual(read({ OTEL_TRACES_SAMPLER: 'traceidratio' }).plan, { name: 'traceidratio', ratio: 1 });
});

test('an unknown sampler: one warning, the default; a bad ratio: one warning, 1', (t) => {
  t.deepEqual(read({ OTEL_TRACES_SAMPLER: 'sometimes' }), {
    plan: { name: 'parentbased_always_on', ratio: 1 },
    warnings: [
      'setupOtel: OTEL_TRACES_SAMPLER="sometimes" is invalid; expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; using parentbased_always_on',
    ],
  });
  for (const value of ['1.5', '-0.1', 'half', '0x1']) {
    t.deepEqual(read({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: value }), {
      plan: { name: 'traceidratio', ratio: 1 },
      warnings: [`setupOtel: OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(value)} is invalid; expected a number from 0 to 1; using 1`],
    }, value);
  }
  // The argument of a sampler that takes none is not read.
  t.deepEqual(read({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'half' }).warnings, []);
});
