import test from 'ava';
import { logs, SeverityNumber, trace } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Environment } from '../../src/setup/environment';
import { planSetup, type EnabledPlan } from '../../src/setup/plan';
import { setupOtel } from '../../src/setup/setup-otel';
import type { OtlpReceiver } from '../e2e/otlp-receiver';
import { exportedLogRecords, exportingTo, globalTracingRecords, waitUntil, withEnv } from './support';
import { captureDiag } from '../helpers/tracing';

// The third signal: a LoggerProvider registered beside the tracer provider only when log records are
// exported (OTEL_LOGS_EXPORTER, an endpoint, or the logRecordProcessor option). Serial where it owns the globals.

function enabledPlan(env: Environment): EnabledPlan {
  const plan = planSetup(env);
  if (!plan.enabled || 'configFile' in plan) throw new Error('expected an enabled plan from the environment');
  return plan;
}

/** No variable that would make setupOtel export anything. */
const NOTHING_EXPORTED = {
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: undefined,
  OTEL_LOGS_EXPORTER: undefined,
  OTEL_TRACES_EXPORTER: undefined,
  OTEL_METRICS_EXPORTER: undefined,
};

/** Emits one record through the global Logs API inside an active span; returns that span's ids. */
function emitInSpan(body = 'model loaded'): { traceId: string; spanId: string } {
  return trace.getTracer('setup-test').startActiveSpan('drum.invocations', (span) => {
    logs.getLogger('setup-test', '1.0.0').emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body,
      attributes: { 'model.name': 'iris' },
    });
    span.end();
    return span.spanContext();
  });
}

test('plan: OTEL_LOGS_EXPORTER unset is otlp with an endpoint, none without; none, console and the logs protocol', (t) => {
  const otlp = (protocol: string) => [{ kind: 'otlp', protocol }];
  t.deepEqual(enabledPlan({}).logs, { exporters: [], processor: 'batch', batch: {}, limits: {} });
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/v1/logs' }).logs.exporters, otlp('http/protobuf'));
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_LOGS_EXPORTER: 'none' }).logs.exporters, []);
  t.deepEqual(enabledPlan({ OTEL_LOGS_EXPORTER: 'console' }).logs.exporters, [{ kind: 'console' }]);
  t.deepEqual(
    enabledPlan({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' }).logs.exporters,
    otlp('http/json'),
  );
  t.like(enabledPlan({ OTEL_LOGS_EXPORTER: 'loki' }), {
    logs: { exporters: otlp('http/protobuf') },
    warnings: ['setupOtel: OTEL_LOGS_EXPORTER="loki" names "loki", not one of otlp, console, none; using otlp'],
  });
});

test('plan: OTEL_BLRP_* and the log record limits are read only when records are exported; bad values warned, defaults used', (t) => {
  const env = { OTEL_BLRP_SCHEDULE_DELAY: 'soon', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '10', OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '3' };
  t.deepEqual(enabledPlan(env).warnings, []);
  t.deepEqual(enabledPlan({ ...env, OTEL_LOGS_EXPORTER: 'console' }), {
    ...enabledPlan({ OTEL_LOGS_EXPORTER: 'console' }),
    logs: { exporters: [{ kind: 'console' }], processor: 'batch', batch: { maxExportBatchSize: 10 }, limits: { attributeCountLimit: 3 } },
    warnings: ['setupOtel: OTEL_BLRP_SCHEDULE_DELAY="soon" is invalid; expected a whole number of milliseconds above 0; using 1000'],
  });
});

for (const [variables, why] of [
  [NOTHING_EXPORTED, 'unset without an endpoint'],
  [{ ...NOTHING_EXPORTED, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOGS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' }, 'none with an endpoint'],
] as const) {
  test.serial(`OTEL_LOGS_EXPORTER ${why}: no LoggerProvider is registered; tracing is`, async (t) => {
    const otel = await withEnv(variables, () => setupOtel({ logLevel: 'none' }));
    try {
      t.is(otel.loggerProvider, undefined);
      t.false(logs.getLoggerProvider() instanceof LoggerProvider);
      t.true(globalTracingRecords());
    } finally {
      await otel.shutdown();
    }
  });
}

/** Sets up exporting log records (and spans) over OTLP to a fresh receiver with `variables`, running `during`. */
function exportLogs(variables: Environment, during: (receiver: OtlpReceiver) => Promise<void> | void): Promise<OtlpReceiver> {
  return exportingTo((receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRICS_EXPORTER: 'none', OTEL_SERVICE_NAME: 'logs-test', ...variables }), during);
}

test.serial('OTEL_LOGS_EXPORTER=otlp, http/json: the record reaches /v1/logs with its span\'s ids and the service resource', async (t) => {
  let ids = { traceId: '', spanId: '' };
  let registered: unknown;
  const receiver = await exportLogs({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, () => {
    registered = logs.getLoggerProvider();
    ids = emitInSpan();
  });
  t.true(registered instanceof LoggerProvider);
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]).sort(), [
    ['/v1/logs', 'application/json'],
    ['/v1/traces', 'application/json'],
  ]);
  const [record, ...more] = exportedLogRecords(receiver);
  t.deepEqual(more, []);
  t.like(record, {
    body: 'model loaded',
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    traceId: ids.traceId,
    spanId: ids.spanId,
    attributes: { 'model.name': 'iris' },
    scope: 'setup-test',
  });
  t.like(record.resource, { [ATTR_SERVICE_NAME]: 'logs-test', 'process.pid': process.pid });
  t.deepEqual(receiver.spans().map((span) => [span.name, span.traceId, span.spanId]), [['drum.invocations', ids.traceId, ids.spanId]]);
  t.false(logs.getLoggerProvider() instanceof LoggerProvider, 'shutdown unregisters the logger provider');
});

test.serial('OTEL_LOGS_EXPORTER=otlp, http/protobuf by default to OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: the record with its ids', async (t) => {
  let ids = { traceId: '', spanId: '' };
  const receiver = await exportingTo(
    (receiver) => ({ ...NOTHING_EXPORTED, OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/custom/logs`, OTEL_SERVICE_NAME: 'logs-proto' }),
    () => {
      ids = emitInSpan('protobuf record');
    },
  );
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]), [['/custom/logs', 'application/x-protobuf']]);
  const { body } = receiver.exports[0];
  for (const expected of [Buffer.from(ids.traceId, 'hex'), Buffer.from(ids.spanId, 'hex'), Buffer.from('protobuf record'), Buffer.from('logs-proto'), Buffer.from('model.name')]) {
    t.true(body.includes(expected), expected.toString('hex'));
  }
});

test.serial('OTEL_BLRP_SCHEDULE_DELAY of an hour: nothing leaves before shutdown, which exports every record', async (t) => {
  let before = -1;
  const receiver = await exportLogs({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BLRP_SCHEDULE_DELAY: '3600000' }, async (receiver) => {
    for (let i = 0; i < 3; i++) emitInSpan(`held-${i}`);
    await new Promise((resolve) => setImmediate(resolve));
    before = receiver.exports.length;
  });
  t.is(before, 0);
  t.deepEqual(exportedLogRecords(receiver).map((record) => record.body), ['held-0', 'held-1', 'held-2']);
});

test.serial('OTEL_BLRP_* bad values: one warning each, the defaults used (a 1 s delay exports while running)', async (t) => {
  const records = captureDiag();
  const receiver = await exportLogs(
    { OTEL_LOGS_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BLRP_SCHEDULE_DELAY: '-1', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: 'two' },
    async (receiver) => {
      for (let i = 0; i < 3; i++) emitInSpan(`record-${i}`);
      await waitUntil(() => receiver.exports.length > 0);
      t.deepEqual(exportedLogRecords(receiver).map((record) => record.body), ['record-0', 'record-1', 'record-2'], 'one batch, before shutdown');
    },
  );
  t.is(receiver.exports.length, 1);
  t.deepEqual(records.map((record) => [record.level, record.message]), [
    ['warn', 'setupOtel: OTEL_BLRP_SCHEDULE_DELAY="-1" is invalid; expected a whole number of milliseconds above 0; using 1000'],
    ['warn', 'setupOtel: OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="two" is invalid; expected a whole number above 0; using 512'],
  ]);
});

test.serial('OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and the logRecordProcessor option: the given processor gets limited records', async (t) => {
  const exporter = new InMemoryLogRecordExporter();
  const otel = await withEnv({ ...NOTHING_EXPORTED, OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '1', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3' }, () =>
    setupOtel({ logLevel: 'none', logRecordProcessor: new SimpleLogRecordProcessor({ exporter }) }),
  );
  t.is(logs.getLoggerProvider() as unknown, otel.loggerProvider);
  logs.getLogger('setup-test').emit({ body: 'given', attributes: { first: 'abcdef', second: 2 } });
  await otel.forceFlush();
  t.deepEqual(exporter.getFinishedLogRecords().map((record) => [record.body, record.attributes]), [['given', { first: 'abc' }]]);
  await otel.shutdown();
});

test.serial('a logger provider registered by someone else: setupOtel throws and leaves nothing registered', async (t) => {
  const theirs = new LoggerProvider();
  t.true(logs.setGlobalLoggerProvider(theirs));
  captureDiag();
  try {
    await withEnv({ ...NOTHING_EXPORTED, OTEL_LOGS_EXPORTER: 'console' }, () => {
      t.throws(() => setupOtel({ logLevel: 'none' }), {
        message: 'setupOtel: a logger provider is already registered globally; setupOtel was not applied',
      });
    });
    t.false(globalTracingRecords());
    t.is(logs.getLoggerProvider(), theirs);
    const otel = setupOtel({ logLevel: 'none' });
    t.true(globalTracingRecords(), 'a later call without logs sets up');
    await otel.shutdown();
  } finally {
    logs.disable();
  }
});
