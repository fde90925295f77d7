import { describeValue } from '../describe';
import { LOG_LEVEL_NAMES } from './diag';
import { PROPAGATOR_NAMES } from './propagator';
import type { SetupOtelOptions } from './types';

type OptionCheck = readonly [isValid: (value: unknown) => boolean, expected: string];

const hasMethods =
  (...methods: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof Reflect.get(value, method) === 'function');

const isOneOf =
  (choices: readonly string[]) =>
  (value: unknown): boolean =>
    typeof value === 'string' && choices.includes(value);

/** What each option must be: every option is checked, and no other key is accepted. */
const OPTION_CHECKS: Readonly<Record<keyof SetupOtelOptions, OptionCheck>> = {
  disabled: [(value) => typeof value === 'boolean', 'a boolean'],
  serviceName: [(value) => typeof value === 'string' && value.trim() !== '', 'a non-empty string'],
  resourceAttributes: [(value) => typeof value === 'object' && value !== null, 'an object of attributes'],
  exporter: [hasMethods('export', 'shutdown'), 'a SpanExporter'],
  spanProcessor: [hasMethods('onStart', 'onEnd', 'forceFlush', 'shutdown'), 'a SpanProcessor'],
  processor: [isOneOf(['batch', 'simple']), "'batch' or 'simple'"],
  metricReader: [hasMethods('setMetricProducer', 'collect', 'forceFlush', 'shutdown'), 'a MetricReader'],
  logRecordProcessor: [hasMethods('onEmit', 'forceFlush', 'shutdown'), 'a LogRecordProcessor'],
  propagators: [
    (value) => Array.isArray(value) && value.every(isOneOf(PROPAGATOR_NAMES)),
    `an array of ${PROPAGATOR_NAMES.join(', ')}`,
  ],
  logLevel: [isOneOf(LOG_LEVEL_NAMES), LOG_LEVEL_NAMES.join(', ')],
  shutdownTimeoutMillis: [(value) => typeof value === 'number' && value > 0, 'a positive number of milliseconds'],
  outgoing: [(value) => typeof value === 'boolean', 'a boolean'],
};

function optionError(option: string, value: unknown, expected: string): Error {
  return new Error(`setupOtel: option ${option} is invalid (${describe(value)}); expected ${expected}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${describeValue(value)}`;
}

/**
 * Throws an Error naming the first option that is not what it must be (a programming mistake, unlike a bad
 * environment variable).
 */
export function checkOptions(options: SetupOtelOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('options', options, 'an object');
  for (const [option, value] of Object.entries(options)) {
    if (!Object.prototype.hasOwnProperty.call(OPTION_CHECKS, option)) {
      throw new Error(`setupOtel: unknown option ${option}; expected one of ${Object.keys(OPTION_CHECKS).join(', ')}`);
    }
    const [isValid, expected] = OPTION_CHECKS[option as keyof SetupOtelOptions];
    if (value !== undefined && !isValid(value)) throw optionError(option, value, expected);
  }
  const { spanProcessor, exporter, processor } = options;
  if (spanProcessor !== undefined && (exporter !== undefined || processor !== undefined)) {
    throw new Error(
      'setupOtel: option spanProcessor replaces exporter and processor; give either spanProcessor or those',
    );
  }
}
