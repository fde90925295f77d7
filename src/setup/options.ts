import { describeValue } from '../describe';
import { LOG_LEVELS } from './diag';
import type { SetupOtelOptions } from './types';

function optionError(option: string, value: unknown, expected: string): Error {
  return new Error(`setupOtel: option ${option} is invalid (${describe(value)}); expected ${expected}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${describeValue(value)}`;
}

export function checkOptions(options: SetupOtelOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('options', options, 'an object');
  const { serviceName, processor, exporter, spanProcessor, logLevel, shutdownTimeoutMillis, disabled } = options;
  if (disabled !== undefined && typeof disabled !== 'boolean') throw optionError('disabled', disabled, 'a boolean');
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === '')) {
    throw optionError('serviceName', serviceName, 'a non-empty string');
  }
  if (processor !== undefined && processor !== 'batch' && processor !== 'simple') {
    throw optionError('processor', processor, "'batch' or 'simple'");
  }
  if (exporter !== undefined && typeof exporter?.export !== 'function') {
    throw optionError('exporter', exporter, 'a SpanExporter');
  }
  if (spanProcessor !== undefined && typeof spanProcessor?.onEnd !== 'function') {
    throw optionError('spanProcessor', spanProcessor, 'a SpanProcessor');
  }
  if (spanProcessor !== undefined && (exporter !== undefined || processor !== undefined)) {
    throw new Error('setupOtel: option spanProcessor replaces exporter and processor; give either spanProcessor or those');
  }
  if (logLevel !== undefined && !Object.prototype.hasOwnProperty.call(LOG_LEVELS, logLevel)) {
    throw optionError('logLevel', logLevel, Object.keys(LOG_LEVELS).join(', '));
  }
  if (shutdownTimeoutMillis !== undefined && !(typeof shutdownTimeoutMillis === 'number' && shutdownTimeoutMillis > 0)) {
    throw optionError('shutdownTimeoutMillis', shutdownTimeoutMillis, 'a positive number of milliseconds');
  }
}

