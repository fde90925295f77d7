import 'reflect-metadata';
import test from 'ava';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createPredictionApp } from '../examples/prediction-server/app';
import { readServerConfig, readTracingSwitch, readUrlPrefix } from '../examples/prediction-server/config';
import { exampleOtelOptions } from '../examples/prediction-server/lifecycle';
import { SpanLineExporter, spanLine } from '../examples/prediction-server/span-line-exporter';
import { IRIS_CSV } from './e2e/server-process';
import { jsonErrorMessage } from './helpers/json';
import { listen, type RunningServer } from './helpers/server';
import { finishedSpans, registerTracing } from './helpers/tracing';

// The example app in-process: DRUM's answer shapes, and 4xx (never 500) for every kind of bad input.

const { exporter } = registerTracing();

let traced: RunningServer;
let untraced: RunningServer;

test.before(async () => {
  traced = await listen(createPredictionApp({ maxBodyBytes: 1024 }));
  untraced = await listen(createPredictionApp({ tracing: false, maxBodyBytes: 1024 }));
});

test.after.always(async () => {
  await traced?.close();
  await untraced?.close();
});

async function post(server: RunningServer, path: string, body: string | Buffer, contentType?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

test('/predict/ answers {"predictions": [{label: probability}, ...]}', async (t) => {
  const answer = await post(untraced, '/predict/', IRIS_CSV, 'text/csv');
  t.is(answer.status, 200);
  t.regex(answer.type, /^application\/json/);
  const { predictions } = JSON.parse(answer.body) as { predictions: Record<string, number>[] };
  t.deepEqual(predictions.map((row) => Object.keys(row)), Array(3).fill(['setosa', 'versicolor', 'virginica']));
  t.true(predictions[0].setosa > 0.9 && predictions[1].versicolor > 0.9 && predictions[2].virginica > 0.9);
});

test('/transform/ answers the standardized features, /predictUnstructured/ CSV labels', async (t) => {
  const transform = await post(untraced, '/transform/', IRIS_CSV, 'text/csv');
  const { transformations } = JSON.parse(transform.body) as { transformations: Record<string, number>[] };
  t.deepEqual(Object.keys(transformations[0]), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  t.true(transformations[0].petal_length < -1 && transformations[2].petal_length > 1);
  const unstructured = await post(untraced, '/predictionsUnstructured/', IRIS_CSV, 'text/csv');
  t.deepEqual([unstructured.status, unstructured.type, unstructured.body], [
    200,
    'text/csv; charset=utf-8',
    'species\nsetosa\nversicolor\nvirginica\n',
  ]);
});

test('health and meta routes answer in DRUM shapes', async (t) => {
  for (const path of ['/', '/ping/', '/ping', '/health/']) {
    t.deepEqual(await (await fetch(`${untraced.url}${path}`)).json(), { message: 'OK' }, path);
  }
  const info = (await (await fetch(`${untraced.url}/info/`)).json()) as Record<string, unknown>;
  t.like(info, { targetType: 'multiclass', drumServer: 'express', classLabels: ['setosa', 'versicolor', 'virginica'] });
  t.is(info.drumVersion, (require('../../package.json') as { version: string }).version);
  const stats = (await (await fetch(`${untraced.url}/stats/`)).json()) as { mem_info: Record<string, unknown> };
  t.deepEqual(Object.keys(stats.mem_info).sort(), [
    'avail',
    'container_limit',
    'container_max_used',
    'container_used',
    'drum_rss',
    'free',
    'total',
  ]);
  t.true(typeof stats.mem_info.drum_rss === 'number' && (stats.mem_info.drum_rss as number) > 0);
  t.like(await (await fetch(`${untraced.url}/capabilities/`)).json(), {
    supported_payload_formats: { csv: true },
    supported_methods: { chat: false },
  });
});

const badInputs: readonly (readonly [label: string, body: string | Buffer, type: string | undefined, status: number, message: string])[] = [
  ['empty body', '', 'text/csv', 400, 'ERROR: the request body is empty; send CSV (text/csv) or JSON rows (application/json)'],
  ['wrong columns', 'a,b\n1,2\n', 'text/csv', 400, 'ERROR: the CSV header lacks the columns sepal_length, sepal_width, petal_length, petal_width; expected sepal_length, sepal_width, petal_length, petal_width'],
  ['non-numeric cell', 'sepal_length,sepal_width,petal_length,petal_width\n1,2,x,4\n', 'text/csv', 400, 'ERROR: row 1, column petal_length: "x" is not a number'],
  ['bad CSV', 'sepal_length,sepal_width,petal_length,petal_width\n"1,2,3,4\n', 'text/csv', 400, 'ERROR: the CSV cannot be parsed: line 3: a quoted field is not closed'],
  ['bad JSON', '[{', 'application/json', 400, `ERROR: the body is not valid JSON: ${jsonErrorMessage('[{')}`],
  ['unsupported type', '<rows/>', 'application/xml', 415, 'ERROR: unsupported Content-Type "application/xml"; send text/csv or application/json'],
  ['oversize body', `${IRIS_CSV}${'5.1,3.5,1.4,0.2\n'.repeat(80)}`, 'text/csv', 413, 'ERROR: the request body is larger than the limit of 1024 bytes'],
];

for (const [label, body, type, status, message] of badInputs) {
  test(`${label}: ${status} with {"message": "ERROR: ..."} on every prediction route`, async (t) => {
    for (const path of ['/predict/', '/predictions/', '/invocations', '/transform/', '/predictUnstructured/']) {
      const answer = await post(untraced, path, body, type);
      t.deepEqual([answer.status, JSON.parse(answer.body)], [status, { message }], path);
    }
  });
}

test('unknown routes and methods get a JSON 404', async (t) => {
  const answer = await post(untraced, '/predict/extra', IRIS_CSV, 'text/csv');
  t.deepEqual([answer.status, JSON.parse(answer.body)], [404, { message: 'ERROR: no route for POST /predict/extra' }]);
  const get = await fetch(`${untraced.url}/predict/`);
  t.deepEqual([get.status, await get.json()], [404, { message: 'ERROR: no route for GET /predict/' }]);
});

test.serial('traced app: a rejected oversize body still has its span, with 413; health routes have none', async (t) => {
  exporter.reset();
  t.is((await fetch(`${traced.url}/ping/`)).status, 200);
  const oversize = await post(traced, '/predictions/', 'x'.repeat(4096), 'text/csv');
  t.is(oversize.status, 413);
  const spans: ReadableSpan[] = await finishedSpans(exporter, 1);
  t.deepEqual(
    spans.map((span) => [span.name, span.kind, span.attributes['http.route'], span.attributes['http.response.status_code']]),
    [['drum.invocations', SpanKind.SERVER, '/predictions/', 413]],
  );
});

test.serial('traced app: a prediction span carries the row count', async (t) => {
  exporter.reset();
  t.is((await post(traced, '/invocations', IRIS_CSV, 'text/csv')).status, 200);
  const [span] = await finishedSpans(exporter, 1);
  t.is(span.attributes['drum.prediction.rows'], 3);
  t.regex(spanLine(span), /^span drum\.invocations SERVER POST \/invocations 200 \d+\.\dms trace=[0-9a-f]{32} span=[0-9a-f]{16} parent=-$/);
});

test.serial('SpanLineExporter writes one line per span', async (t) => {
  exporter.reset();
  await fetch(`${traced.url}/transform/`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-datarobot-consumer-id': 'u1', 'x-datarobot-consumer-type': 'user' },
    body: IRIS_CSV,
  });
  const spans = await finishedSpans(exporter, 1);
  const lines: string[] = [];
  new SpanLineExporter((line) => lines.push(line)).export(spans, () => {});
  t.is(lines.length, 1);
  t.regex(lines[0], /^span drum\.transform SERVER POST \/transform\/ 200 \d+\.\dms trace=\S+ span=\S+ parent=- consumer=u1\/user\n$/);
});

test('config: defaults, and each variable read', (t) => {
  t.deepEqual(readServerConfig({}), { port: 8080, host: undefined, urlPrefix: '', workers: 1, tracing: true, chatTokenDelayMs: 20 });
  t.deepEqual(
    readServerConfig({ PORT: '0', HOST: '127.0.0.1', URL_PREFIX: '/drum/', WORKERS: '4', ENABLE_OTEL: 'False', CHAT_TOKEN_DELAY_MS: '0' }),
    { port: 0, host: '127.0.0.1', urlPrefix: '/drum', workers: 4, tracing: false, chatTokenDelayMs: 0 },
  );
  t.throws(() => readServerConfig({ CHAT_TOKEN_DELAY_MS: '20ms' }), {
    message: 'CHAT_TOKEN_DELAY_MS="20ms" is invalid; expected a whole number from 0 to 60000',
  });
});

test('config: URL_PREFIX normalized to one leading slash and none trailing', (t) => {
  t.is(readUrlPrefix({ URL_PREFIX: 'drum' }), '/drum');
  t.is(readUrlPrefix({ URL_PREFIX: '//a/b//' }), '/a/b');
  t.is(readUrlPrefix({ URL_PREFIX: '/' }), '');
});

test('config: ENABLE_OTEL and MLOPS_RUNTIME_PARAM_ENABLE_OTEL', (t) => {
  t.true(readTracingSwitch({}));
  t.false(readTracingSwitch({ ENABLE_OTEL: '0' }));
  t.false(readTracingSwitch({ MLOPS_RUNTIME_PARAM_ENABLE_OTEL: '{"type":"boolean","payload":false}' }));
  t.true(readTracingSwitch({ MLOPS_RUNTIME_PARAM_ENABLE_OTEL: ' {"type": "boolean", "payload": true} ' }));
  t.true(readTracingSwitch({ ENABLE_OTEL: 'yes', MLOPS_RUNTIME_PARAM_ENABLE_OTEL: '{"type":"boolean","payload":true}' }));
  t.throws(() => readTracingSwitch({ MLOPS_RUNTIME_PARAM_ENABLE_OTEL: '{"type":"string","payload":"true"}' }), {
    message:
      'MLOPS_RUNTIME_PARAM_ENABLE_OTEL="{\\"type\\":\\"string\\",\\"payload\\":\\"true\\"}" is invalid; expected JSON such as {"type":"boolean","payload":true}',
  });
});

test('setupOtel options of the examples: one line per span unless the environment names an exporter', (t) => {
  const printing = exampleOtelOptions({});
  t.true(printing.exporter instanceof SpanLineExporter);
  t.is(printing.processor, 'simple');
  t.deepEqual(exampleOtelOptions({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, { serviceName: 'g' }), { serviceName: 'g' });
  t.deepEqual(exampleOtelOptions({ OTEL_TRACES_EXPORTER: 'none' }), {});
});
