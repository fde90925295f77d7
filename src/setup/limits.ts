import type { LogRecordLimits } from '@opentelemetry/sdk-logs';
import type { SpanLimits } from '@opentelemetry/sdk-trace';
import { definedEntries, type EnvironmentReader } from './environment';

// The specification's limits, which the SDK no longer reads from the environment itself. Only what is set
// goes into the result: the SDK applies its defaults (128 of each count, no length limit) to the rest.

/** The default of every count limit. */
const DEFAULT_COUNT = 128;

/**
 * The span limits: `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` and `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, each
 * falling back to the general `OTEL_ATTRIBUTE_*` one; the event and link counts; the attributes per event and
 * per link (`OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`, or their older names).
 */
export function readSpanLimits(reader: EnvironmentReader): SpanLimits {
  const { attributeCountLimit, attributeValueLengthLimit } = readAttributeLimits(reader, 'OTEL_SPAN_ATTRIBUTE');
  return definedEntries({
    attributeCountLimit,
    attributeValueLengthLimit,
    eventCountLimit: count(reader, 'OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: count(reader, 'OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: firstCount(reader, 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: firstCount(reader, 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  });
}

/**
 * The log record limits: `OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT` and `OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
 * each falling back to the general `OTEL_ATTRIBUTE_*` one.
 */
export function readLogRecordLimits(reader: EnvironmentReader): LogRecordLimits {
  return definedEntries(readAttributeLimits(reader, 'OTEL_LOGRECORD_ATTRIBUTE'));
}

/** `<prefix>_COUNT_LIMIT` and `<prefix>_VALUE_LENGTH_LIMIT`, else the general `OTEL_ATTRIBUTE_*` ones. */
function readAttributeLimits(
  reader: EnvironmentReader,
  prefix: string,
): { attributeCountLimit?: number; attributeValueLengthLimit?: number } {
  const generalCount = count(reader, 'OTEL_ATTRIBUTE_COUNT_LIMIT');
  const generalLength = reader.wholeNumber('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 0, undefined);
  return {
    attributeCountLimit: count(reader, `${prefix}_COUNT_LIMIT`, generalCount ?? DEFAULT_COUNT) ?? generalCount,
    attributeValueLengthLimit: reader.wholeNumber(`${prefix}_VALUE_LENGTH_LIMIT`, 0, generalLength) ?? generalLength,
  };
}

function count(reader: EnvironmentReader, variable: string, fallback = DEFAULT_COUNT): number | undefined {
  return reader.wholeNumber(variable, 0, fallback);
}

/** The limit `variable` sets, else the one of its older name `older`. */
function firstCount(reader: EnvironmentReader, variable: string, older: string): number | undefined {
  const olderValue = count(reader, older);
  return count(reader, variable, olderValue ?? DEFAULT_COUNT) ?? olderValue;
}
