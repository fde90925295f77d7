import test from 'ava';
import { EnvironmentReader, type Environment } from '../../src/setup/environment';
import { readBatchOptions, type BatchPrefix } from '../../src/setup/batch';

// OTEL_BSP_* and OTEL_BLRP_*, read by setupOtel (the SDK's batch processors read neither).

function read(prefix: BatchPrefix, env: Environment) {
  const reader = new EnvironmentReader(env);
  return { options: readBatchOptions(reader, prefix), warnings: reader.warnings };
}

test('unset or empty: nothing passed, the processor keeps its defaults', (t) => {
  t.deepEqual(read('OTEL_BSP', {}), { options: {}, warnings: [] });
  t.deepEqual(read('OTEL_BLRP', { OTEL_BLRP_SCHEDULE_DELAY: '' }), { options: {}, warnings: [] });
});

for (const prefix of ['OTEL_BSP', 'OTEL_BLRP'] as const) {
  test(`${prefix}_*: each variable set`, (t) => {
    const env = {
      [`${prefix}_SCHEDULE_DELAY`]: '250',
      [`${prefix}_EXPORT_TIMEOUT`]: '1000',
      [`${prefix}_MAX_QUEUE_SIZE`]: '100',
      [`${prefix}_MAX_EXPORT_BATCH_SIZE`]: '10',
    };
    t.deepEqual(read(prefix, env), {
      options: { scheduledDelayMillis: 250, exportTimeoutMillis: 1000, maxQueueSize: 100, maxExportBatchSize: 10 },
      warnings: [],
    });
  });
}

test('bad values: one warning each, naming the default used', (t) => {
  t.deepEqual(read('OTEL_BSP', { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'two', OTEL_BSP_SCHEDULE_DELAY: '0' }), {
    options: {},
    warnings: [
      'setupOtel: OTEL_BSP_SCHEDULE_DELAY="0" is invalid; expected a whole number of milliseconds above 0; using 5000',
      'setupOtel: OTEL_BSP_MAX_EXPORT_BATCH_SIZE="two" is invalid; expected a whole number above 0; using 512',
    ],
  });
  t.deepEqual(read('OTEL_BLRP', { OTEL_BLRP_SCHEDULE_DELAY: '1s', OTEL_BLRP_EXPORT_TIMEOUT: '-5', OTEL_BLRP_MAX_QUEUE_SIZE: '0' }), {
    options: {},
    warnings: [
      'setupOtel: OTEL_BLRP_SCHEDULE_DELAY="1s" is invalid; expected a whole number of milliseconds above 0; using 1000',
      'setupOtel: OTEL_BLRP_EXPORT_TIMEOUT="-5" is invalid; expected a whole number of milliseconds above 0; using 30000',
      'setupOtel: OTEL_BLRP_MAX_QUEUE_SIZE="0" is invalid; expected a whole number above 0; using 2048',
    ],
  });
});
