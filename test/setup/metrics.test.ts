import test from 'ava';
import { createNoopMeter, metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setupOtel } from '../../src/setup/setup-otel';
import type { ExportedMetric } from '../e2e/otlp-metrics';
import { exportingTo, globalTracingRecords, withEnv } from './support';
import { captureDiag } from '../helpers/tracing';
import { meterProviderWithReader } from '../helpers/metrics';

// The MeterProvider setupOtel registers beside the tracer provider. Serial: it owns the globals.

/** Counts `amount` on the counter `drum.test.predictions` of the global meter provider. */
function countPredictions(amount: number): void {
  metrics.getMeter('setup-test').createCounter('drum.test.predictions', { unit: '{prediction}' }).add(amount, { route: '/predict/' });
}

function named(metricsExported: readonly ExportedMetric[], name: string): ExportedMetric[] {
  return metricsExported.filter((metric) => metric.name === name);
}

/** No variable that would make setupOtel export anything. */
const NOTHING_EXPORTED = { OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: undefined, OTEL_METRICS_EXPORTER: undefined };

test.serial('with a metrics exporter: registers a global MeterProvider, the one of the handle; shutdown unregisters it', async (t) => {
  const otel = await withEnv({ ...NOTHING_EXPORTED, OTEL_METRICS_EXPORTER: 'console' }, () => setupOtel({ logLevel: 'none' }));
  t.true(otel.meterProvider instanceof MeterProvider);
  t.is(metrics.getMeterProvider() as unknown, otel.meterProvider);
  await otel.shutdown();
  t.is(metrics.getMeterProvider().getMeter('after'), createNoopMeter());
});

test.serial('without a metrics exporter: no MeterProvider (the global meter stays the no-op one); spans are still made', async (t) => {
  const otel = await withEnv(NOTHING_EXPORTED, () => setupOtel({ logLevel: 'none' }));
  try {
    t.true(otel.enabled);
    t.is(otel.meterProvider, undefined);
    t.is(metrics.getMeterProvider().getMeter('drum-otel'), createNoopMeter());
    t.true(globalTracingRecords());
  } finally {
    await otel.shutdown();
  }
  t.false(globalTracingRecords());
});

test.serial('without a metrics exporter, a meter provider the application registered stays and records, shutdown included', async (t) => {
  const theirs = meterProviderWithReader();
  t.true(metrics.setGlobalMeterProvider(theirs.provider));
  try {
    const otel = await withEnv(NOTHING_EXPORTED, () => setupOtel({ logLevel: 'none' }));
    t.is(otel.meterProvider, undefined);
    t.true(globalTracingRecords());
    countPredictions(3);
    await otel.shutdown();
    t.is(metrics.getMeterProvider(), theirs.provider);
    countPredictions(4);
    const [metric] = (await theirs.collect('setup-test')).filter((found) => found.descriptor.name === 'drum.test.predictions');
    t.deepEqual(metric.dataPoints.map((point) => [point.attributes, point.value]), [[{ route: '/predict/' }, 7]]);
  } finally {
    metrics.disable();
  }
});

test.serial('OTLP http/json: shutdown exports the last metrics to /v1/metrics, cumulative, with the process in the resource', async (t) => {
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'metrics-test' }),
    () => {
      countPredictions(2);
      countPredictions(3);
    },
  );
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]), [['/v1/metrics', 'application/json']]);
  const [metric] = named(receiver.metrics(), 'drum.test.predictions');
  t.like(metric, { type: 'sum', unit: '{prediction}', temporality: 2, scope: 'setup-test' });
  t.deepEqual(metric.dataPoints.map((point) => [point.attributes, point.value]), [[{ route: '/predict/' }, 5]]);
  t.like(metric.resource, { [ATTR_SERVICE_NAME]: 'metrics-test', 'process.pid': process.pid });
});

test.serial('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta: the exporter reads it; sums are delta', async (t) => {
  const receiver = await exportingTo(
    (receiver) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    }),
    () => countPredictions(4),
  );
  t.like(named(receiver.metrics(), 'drum.test.predictions')[0], { temporality: 1, dataPoints: [{ value: 4 }] });
});

test.serial('OTEL_METRIC_EXPORT_INTERVAL: exports while running, not only at shutdown', async (t) => {
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '50' }),
    async (receiver) => {
      countPredictions(1);
      const exported = await receiver.waitForMetricExports(1);
      t.like(named(exported, 'drum.test.predictions')[0], { dataPoints: [{ value: 1 }] });
    },
  );
  t.true(receiver.exports.length >= 2, 'a periodic export, then the last one at shutdown');
});

test.serial('OTEL_METRICS_EXPORTER=none with an endpoint: spans are exported, metrics are not', async (t) => {
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' }),
    () => {
      countPredictions(1);
      trace.getTracer('setup-test').startSpan('exported').end();
    },
  );
  t.deepEqual(receiver.exports.map((received) => received.path), ['/v1/traces']);
});

test.serial('OTLP http/protobuf by default, to OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as it is', async (t) => {
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/custom/metrics` }),
    () => countPredictions(1),
  );
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]), [['/custom/metrics', 'application/x-protobuf']]);
  t.true(receiver.exports[0].body.includes(Buffer.from('drum.test.predictions')));
});

test.serial('OTEL_METRICS_EXPORTER=console prints the metrics at shutdown', async (t) => {
  const printed: unknown[] = [];
  const dir = console.dir;
  console.dir = (item: unknown) => printed.push(item);
  try {
    await withEnv({ OTEL_METRICS_EXPORTER: 'console' }, async () => {
      const otel = setupOtel({ logLevel: 'none' });
      countPredictions(6);
      await otel.shutdown();
    });
  } finally {
    console.dir = dir;
  }
  t.like(printed, [{ descriptor: { name: 'drum.test.predictions' }, dataPoints: [{ value: 6 }] }]);
});

test.serial('the metricReader option: the given reader gets the metrics', async (t) => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const otel = setupOtel({ logLevel: 'none', metricReader: new PeriodicExportingMetricReader({ exporter }) });
  countPredictions(7);
  await otel.forceFlush();
  const [resourceMetrics] = exporter.getMetrics();
  t.deepEqual(
    resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => [metric.descriptor.name, metric.dataPoints[0].value])),
    [['drum.test.predictions', 7]],
  );
  await otel.shutdown();
});

test.serial('with a metrics exporter, a meter provider registered by someone else: setupOtel throws and registers nothing', async (t) => {
  const theirs = new MeterProvider();
  t.true(metrics.setGlobalMeterProvider(theirs));
  captureDiag();
  try {
    await withEnv({ OTEL_METRICS_EXPORTER: 'console' }, () => {
      t.throws(() => setupOtel({ logLevel: 'none' }), {
        message: 'setupOtel: a meter provider is already registered globally; setupOtel was not applied',
      });
    });
    t.false(globalTracingRecords());
    t.is(metrics.getMeterProvider(), theirs);
  } finally {
    metrics.disable();
  }
});
