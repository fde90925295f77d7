import 'reflect-metadata';
import test from 'ava';
import { metrics } from '@opentelemetry/api';
import { AlwaysOffSampler, createTracerProvider, InMemorySpanExporter, simpleProcessor } from '../helpers/sdk';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { BadRequestError, Body, Get, JsonController, Post } from 'routing-controllers';
import { instrumentControllers, NoTrace, type InstrumentOptions } from '../../src';
import { DURATION_BUCKETS } from '../../src/instrument/metrics';
import { attributeKey, histogramDataPoints, meterProviderWithReader, metricNamed, sumPoints } from '../helpers/metrics';
import { SERVER_DRIVERS, type RunningServer, type ServerDriver } from '../helpers/server';
import { finishedSpans, registerTracing } from '../helpers/tracing';

const { exporter } = registerTracing();

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';

/** A gate the /wait/ action parks on, with a count of the requests that reached it. */
class Gate {
  arrived = 0;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  private waiters: { count: number; resolve: () => void }[] = [];

  async pass(): Promise<void> {
    this.arrived++;
    for (const waiter of this.waiters.filter((w) => this.arrived >= w.count)) waiter.resolve();
    await this.opened;
  }

  reached(count: number): Promise<void> {
    return this.arrived >= count ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  open(): void {
    this.release();
  }
}

/** Fresh controllers (own classes, so each test instruments them with its own options) and a server for them. */
async function serve(driver: ServerDriver, options: InstrumentOptions): Promise<{ server: RunningServer; gate: Gate }> {
  const gate = new Gate();

  @JsonController()
  class ModelController {
    @Post('/predict/')
    predict(@Body() body: { rows?: unknown }) {
      if (!Array.isArray(body.rows)) throw new BadRequestError('rows must be an array');
      return { predictions: body.rows.length };
    }

    @Get('/fail/')
    fail() {
      throw new TypeError('model exploded');
    }

    @Get('/wait/')
    async wait() {
      await gate.pass();
      return { waited: true };
    }
  }

  @NoTrace()
  @JsonController()
  class HealthController {
    @Get('/ping/')
    ping() {
      return { message: 'OK' };
    }
  }

  const server = await driver.start({ controllers: instrumentControllers([ModelController, HealthController], options) });
  return { server, gate };
}

async function send(server: RunningServer, path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${server.url}${path}`, init);
  await response.arrayBuffer();
  return response.status;
}

const predict = (rows: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });

function durationAttributes(method: string, route: string, status: number, extra: Record<string, unknown> = {}) {
  return {
    'http.request.method': method,
    'http.route': route,
    'http.response.status_code': status,
    'url.scheme': 'http',
    'network.protocol.version': '1.1',
    ...extra,
  };
}

/** Bucket counts agree with the count, the advised boundaries are used, and min/max fall in the filled buckets. */
function assertConsistent(point: DataPoint<Histogram>): string | undefined {
  const { buckets, count, min, max, sum } = point.value;
  if (JSON.stringify(buckets.boundaries) !== JSON.stringify(DURATION_BUCKETS)) return `boundaries ${buckets.boundaries}`;
  if (buckets.counts.reduce((a, b) => a + b, 0) !== count) return `bucket counts ${buckets.counts} for count ${count}`;
  const filled = buckets.counts.flatMap((n, index) => (n > 0 ? [index] : []));
  const lower = (index: number) => (index === 0 ? 0 : buckets.boundaries[index - 1]);
  const upper = (index: number) => (index === buckets.boundaries.length ? Infinity : buckets.boundaries[index]);
  if (min === undefined || max === undefined || min < lower(filled[0]) || max > upper(filled[filled.length - 1])) return `min ${min} max ${max}`;
  if (sum === undefined || sum < min * count || sum > max * count) return `sum ${sum}`;
  return undefined;
}

for (const driver of SERVER_DRIVERS) {
  test.serial(`${driver.name}: after a known mix of requests: exact counts per route and status, probes absent, consistent buckets, no one active`, async (t) => {
    const meters = meterProviderWithReader();
    const { server } = await serve(driver, { meterProvider: meters.provider });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push(await send(server, '/predict/', predict([1, 2])));
      for (let i = 0; i < 3; i++) statuses.push(await send(server, '/predict/', predict('not rows')));
      for (let i = 0; i < 2; i++) statuses.push(await send(server, '/fail/'));
      for (let i = 0; i < 4; i++) statuses.push(await send(server, '/ping/'));
      t.deepEqual(statuses, [...Array(7).fill(200), ...Array(3).fill(400), 500, 500, ...Array(4).fill(200)]);
      const collected = await meters.collect();
      const duration = metricNamed(collected, DURATION);
      t.is(duration.descriptor.unit, 's');
      const points = histogramDataPoints(duration);
      t.deepEqual(
        new Map(points.map((point) => [attributeKey(point.attributes), point.value.count])),
        new Map([
          [attributeKey(durationAttributes('POST', driver.route('/predict/'), 200)), 7],
          [attributeKey(durationAttributes('POST', driver.route('/predict/'), 400)), 3],
          [attributeKey(durationAttributes('GET', driver.route('/fail/'), 500, { 'error.type': 'TypeError' })), 2],
        ]),
      );
      for (const point of points) t.is(assertConsistent(point), undefined, attributeKey(point.attributes));
      const active = sumPoints(metricNamed(collected, ACTIVE));
      t.deepEqual(active.map((point) => [point.attributes, point.value]), [
        [{ 'http.request.method': 'POST', 'url.scheme': 'http' }, 0],
        [{ 'http.request.method': 'GET', 'url.scheme': 'http' }, 0],
      ]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: requests in flight are active requests until their responses close`, async (t) => {
    const meters = meterProviderWithReader();
    const { server, gate } = await serve(driver, { meterProvider: meters.provider });
    try {
      const pending = [1, 2, 3].map(() => send(server, '/wait/'));
      await gate.reached(3);
      const during = sumPoints(metricNamed(await meters.collect(), ACTIVE));
      t.deepEqual(during.map((point) => [point.attributes, point.value]), [[{ 'http.request.method': 'GET', 'url.scheme': 'http' }, 3]]);
      gate.open();
      t.deepEqual(await Promise.all(pending), [200, 200, 200]);
      const after = await meters.collect();
      t.deepEqual(sumPoints(metricNamed(after, ACTIVE)).map((point) => point.value), [0]);
      t.deepEqual(histogramDataPoints(metricNamed(after, DURATION)).map((point) => [point.attributes['http.route'], point.value.count]), [[driver.route('/wait/'), 3]]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: an aborted request is recorded with drum.request.aborted and without a status code`, async (t) => {
    const meters = meterProviderWithReader();
    const { server, gate } = await serve(driver, { meterProvider: meters.provider });
    exporter.reset();
    try {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/wait/`, { signal: controller.signal });
      await gate.reached(1);
      controller.abort();
      await t.throwsAsync(pending, { any: true, name: 'AbortError' });
      // The span ends when the server sees the connection close; the measurement is taken at the same moment.
      t.deepEqual((await finishedSpans(exporter, 1)).map((span) => span.attributes['drum.request.aborted']), [true]);
      const collected = await meters.collect();
      t.deepEqual(
        histogramDataPoints(metricNamed(collected, DURATION)).map((point) => [point.attributes, point.value.count]),
        [[{ 'http.request.method': 'GET', 'http.route': driver.route('/wait/'), 'url.scheme': 'http', 'network.protocol.version': '1.1', 'drum.request.aborted': true }, 1]],
      );
      t.deepEqual(sumPoints(metricNamed(collected, ACTIVE)).map((point) => point.value), [0]);
      gate.open();
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: a request sampled out of tracing is still counted`, async (t) => {
    const meters = meterProviderWithReader();
    const unsampled = new InMemorySpanExporter();
    const tracerProvider = createTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [simpleProcessor(unsampled)] });
    const { server } = await serve(driver, { meterProvider: meters.provider, tracerProvider });
    try {
      for (let i = 0; i < 5; i++) t.is(await send(server, '/predict/', predict([1])), 200);
      t.deepEqual(unsampled.getFinishedSpans(), []);
      const points = histogramDataPoints(metricNamed(await meters.collect(), DURATION));
      t.deepEqual(points.map((point) => [point.attributes['http.route'], point.attributes['http.response.status_code'], point.value.count]), [[driver.route('/predict/'), 200, 5]]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: metrics: false records nothing`, async (t) => {
    const meters = meterProviderWithReader();
    const { server } = await serve(driver, { meterProvider: meters.provider, metrics: false });
    try {
      t.is(await send(server, '/predict/', predict([1])), 200);
      t.deepEqual(await meters.collect(), []);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: without a meterProvider option, the global provider registered after instrumentControllers is used`, async (t) => {
    const { server } = await serve(driver, {});
    const meters = meterProviderWithReader();
    try {
      // Before any provider is registered: recorded nowhere, and nothing breaks.
      t.is(await send(server, '/predict/', predict([1])), 200);
      t.true(metrics.setGlobalMeterProvider(meters.provider));
      for (let i = 0; i < 2; i++) t.is(await send(server, '/predict/', predict([1])), 200);
      const points = histogramDataPoints(metricNamed(await meters.collect(), DURATION));
      t.deepEqual(points.map((point) => [point.attributes['http.route'], point.value.count]), [[driver.route('/predict/'), 2]]);
    } finally {
      metrics.disable();
      await server.close();
    }
  });
}
