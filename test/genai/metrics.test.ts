import test from 'ava';
import { metrics } from '@opentelemetry/api';
import { GenAiMetrics } from '../../src/genai/metrics';
import { VERSION } from '../../src/version';
import { createTestMeters, histogramPoints } from '../helpers/metrics';

const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

const IDENTITY = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'datarobot',
  'gen_ai.request.model': 'iris-assistant',
  'gen_ai.response.model': 'iris-assistant-v1',
};

/** The bucket counts of one value falling in `boundaries`. */
function oneIn(boundaries: readonly number[], value: number): number[] {
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  const index = boundaries.findIndex((boundary) => value <= boundary);
  counts[index === -1 ? boundaries.length : index] = 1;
  return counts;
}

test('a successful request: duration, time to first token and input/output usage with the advised buckets', async (t) => {
  const meters = createTestMeters();
  new GenAiMetrics({ meterProvider: meters.provider }).record({
    operationName: 'chat',
    providerName: 'datarobot',
    requestModel: 'iris-assistant',
    responseModel: 'iris-assistant-v1',
    durationSeconds: 0.3,
    timeToFirstTokenSeconds: 0.03,
    inputTokens: 20,
    outputTokens: 70,
  });
  const collected = await meters.collect();
  t.deepEqual([...collected.keys()].sort(), [
    'gen_ai.client.token.usage',
    'gen_ai.server.request.duration',
    'gen_ai.server.time_to_first_token',
  ]);
  const duration = collected.get('gen_ai.server.request.duration')!;
  t.deepEqual(duration.scope, { name: 'drum-otel', version: VERSION, schemaUrl: undefined });
  t.like(duration.metric.descriptor, { unit: 's', description: 'Generative AI server request duration such as time-to-last byte or last output token.' });
  t.deepEqual(histogramPoints(duration.metric), [
    { attributes: IDENTITY, count: 1, sum: 0.3, boundaries: DURATION_BUCKETS, counts: oneIn(DURATION_BUCKETS, 0.3) },
  ]);
  const ttft = collected.get('gen_ai.server.time_to_first_token')!.metric;
  t.like(ttft.descriptor, { unit: 's' });
  t.deepEqual(histogramPoints(ttft), [
    { attributes: IDENTITY, count: 1, sum: 0.03, boundaries: TTFT_BUCKETS, counts: oneIn(TTFT_BUCKETS, 0.03) },
  ]);
  const usage = collected.get('gen_ai.client.token.usage')!.metric;
  t.like(usage.descriptor, { unit: '{token}' });
  t.deepEqual(histogramPoints(usage), [
    { attributes: { ...IDENTITY, 'gen_ai.token.type': 'input' }, count: 1, sum: 20, boundaries: TOKEN_BUCKETS, counts: oneIn(TOKEN_BUCKETS, 20) },
    { attributes: { ...IDENTITY, 'gen_ai.token.type': 'output' }, count: 1, sum: 70, boundaries: TOKEN_BUCKETS, counts: oneIn(TOKEN_BUCKETS, 70) },
  ]);
});

test('a failed request: error.type on the duration, no time to first token; unknown usage and response model left out', async (t) => {
  const meters = createTestMeters();
  new GenAiMetrics({ meterProvider: meters.provider }).record({
    operationName: 'chat',
    providerName: 'datarobot',
    requestModel: 'm',
    durationSeconds: 2,
    timeToFirstTokenSeconds: 0.5,
    errorType: 'TimeoutError',
  });
  const collected = await meters.collect();
  t.deepEqual([...collected.keys()], ['gen_ai.server.request.duration']);
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.server.request.duration')!.metric).map((point) => [point.attributes, point.count, point.sum]),
    [
      [
        { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'datarobot', 'gen_ai.request.model': 'm', 'error.type': 'TimeoutError' },
        1,
        2,
      ],
    ],
  );
});

test('an abandoned request: drum.request.aborted on the duration only; its first token and usage still count', async (t) => {
  const meters = createTestMeters();
  const genAiMetrics = new GenAiMetrics({ meterProvider: meters.provider });
  const base = { operationName: 'chat', providerName: 'p', requestModel: 'm', responseModel: 'm', inputTokens: 5 };
  genAiMetrics.record({ ...base, durationSeconds: 0.1, timeToFirstTokenSeconds: 0.01, outputTokens: 3, aborted: true });
  genAiMetrics.record({ ...base, durationSeconds: 0.2, timeToFirstTokenSeconds: 0.02, outputTokens: 9 });
  const collected = await meters.collect();
  const identity = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'p', 'gen_ai.request.model': 'm', 'gen_ai.response.model': 'm' };
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.server.request.duration')!.metric).map((point) => [point.attributes, point.count, point.sum]),
    [
      [{ ...identity, 'drum.request.aborted': true }, 1, 0.1],
      [identity, 1, 0.2],
    ],
  );
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.server.time_to_first_token')!.metric).map((point) => [point.attributes, point.count]),
    [[identity, 2]],
  );
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.client.token.usage')!.metric).map((point) => [point.attributes['gen_ai.token.type'], point.count, point.sum]),
    [
      ['input', 2, 10],
      ['output', 2, 12],
    ],
  );
});

test.serial('without a meterProvider: the global provider registered when a measurement is recorded', async (t) => {
  const genAiMetrics = new GenAiMetrics();
  const measurement = { operationName: 'chat', providerName: 'p', requestModel: 'm', durationSeconds: 1 };
  genAiMetrics.record(measurement); // no provider yet: the no-op one
  const first = createTestMeters();
  t.true(metrics.setGlobalMeterProvider(first.provider));
  try {
    genAiMetrics.record(measurement);
    genAiMetrics.record(measurement);
    const second = createTestMeters();
    metrics.disable();
    t.true(metrics.setGlobalMeterProvider(second.provider));
    genAiMetrics.record(measurement);
    const countIn = async (meters: ReturnType<typeof createTestMeters>) =>
      histogramPoints((await meters.collect()).get('gen_ai.server.request.duration')?.metric).map((point) => point.count);
    t.deepEqual(await countIn(first), [2]);
    t.deepEqual(await countIn(second), [1]);
  } finally {
    metrics.disable();
  }
});

test('a meterProvider that is not one is an Error naming it', (t) => {
  for (const [value, shown] of [
    [{}, '[object Object]'],
    [Object.create(null), '[object Object]'],
    ['provider', 'provider'],
  ] as const) {
    t.throws(() => new GenAiMetrics({ meterProvider: value as never }), {
      instanceOf: Error,
      message: `GenAiMetrics: meterProvider must be a MeterProvider, got ${shown}`,
    });
  }
});
