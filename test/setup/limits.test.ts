import test from 'ava';
import { EnvironmentReader, type Environment } from '../../src/setup/environment';
import { readLogRecordLimits, readSpanLimits } from '../../src/setup/limits';

// The span and log record limits setupOtel reads (the SDK reads none): set, unset, the general fallback, the
// older names, and a bad value (one warning, the default).

function spanLimits(env: Environment) {
  const reader = new EnvironmentReader(env);
  return { limits: readSpanLimits(reader), warnings: reader.warnings };
}

test('unset: no limit is passed, the SDK keeps its defaults', (t) => {
  t.deepEqual(spanLimits({}), { limits: {}, warnings: [] });
  t.deepEqual(readLogRecordLimits(new EnvironmentReader({})), {});
});

test('every span limit variable', (t) => {
  t.deepEqual(
    spanLimits({
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '3',
      OTEL_SPAN_LINK_COUNT_LIMIT: '0',
      OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '4',
      OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '5',
    }).limits,
    { attributeCountLimit: 10, attributeValueLengthLimit: 64, eventCountLimit: 3, linkCountLimit: 0, attributePerEventCountLimit: 4, attributePerLinkCountLimit: 5 },
  );
});

test('the general OTEL_ATTRIBUTE_* limits when the span ones are unset; the older per-event/link names', (t) => {
  t.deepEqual(spanLimits({ OTEL_ATTRIBUTE_COUNT_LIMIT: '7', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '9' }).limits, {
    attributeCountLimit: 9,
    attributeValueLengthLimit: 20,
  });
  t.deepEqual(spanLimits({ OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '2', OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '1', OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '6' }).limits, {
    attributePerEventCountLimit: 2,
    attributePerLinkCountLimit: 6,
  });
  t.deepEqual(readLogRecordLimits(new EnvironmentReader({ OTEL_ATTRIBUTE_COUNT_LIMIT: '7', OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: '12' })), {
    attributeCountLimit: 7,
    attributeValueLengthLimit: 12,
  });
});

test('a bad limit: one warning naming it and what is used instead', (t) => {
  t.deepEqual(spanLimits({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'many', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '-1' }), {
    limits: {},
    warnings: [
      'setupOtel: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="many" is invalid; expected a whole number; using 128',
      'setupOtel: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT="-1" is invalid; expected a whole number; using no limit',
    ],
  });
  t.deepEqual(spanLimits({ OTEL_ATTRIBUTE_COUNT_LIMIT: '7', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '7.5' }), {
    limits: { attributeCountLimit: 7 },
    warnings: ['setupOtel: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="7.5" is invalid; expected a whole number; using 7'],
  });
  const reader = new EnvironmentReader({ OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: 'x' });
  t.deepEqual(readLogRecordLimits(reader), {});
  t.deepEqual(reader.warnings, ['setupOtel: OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT="x" is invalid; expected a whole number; using 128']);
});
