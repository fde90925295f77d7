import test from 'ava';
import { errorText, StartupLogger } from '../../src/setup/diag';
import type { DiagRecord } from '../helpers/tracing';

test('StartupLogger passes each warning on once until started, then every one; other levels always', (t) => {
  const records: DiagRecord[] = [];
  const logger = new StartupLogger({
    error: (message) => records.push({ level: 'error', message, args: [] }),
    warn: (message, ...args) => records.push({ level: 'warn', message, args }),
    info: (message) => records.push({ level: 'info', message, args: [] }),
    debug: (message) => records.push({ level: 'debug', message, args: [] }),
    verbose: (message) => records.push({ level: 'verbose', message, args: [] }),
  });
  logger.warn('bad OTEL_EXPORTER_OTLP_TIMEOUT', 1);
  logger.warn('bad OTEL_EXPORTER_OTLP_TIMEOUT', 2);
  logger.error('failed');
  logger.error('failed');
  logger.started();
  logger.warn('later');
  logger.warn('later');
  logger.info('info');
  t.deepEqual(
    records.map((record) => [record.level, record.message, ...record.args]),
    [
      ['warn', 'bad OTEL_EXPORTER_OTLP_TIMEOUT', 1],
      ['error', 'failed'],
      ['error', 'failed'],
      ['warn', 'later'],
      ['warn', 'later'],
      ['info', 'info'],
    ],
  );
});

test('errorText: an error as one line, a list of them joined', (t) => {
  t.is(errorText(new Error('connect ECONNREFUSED')), 'connect ECONNREFUSED');
  t.is(errorText([new Error('a'), 'b', [new Error('c')]]), 'a; b; c');
  t.is(errorText(42), '42');
});
