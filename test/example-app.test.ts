import 'reflect-metadata';
import test from 'ava';
import { SpanKind } from '@opentelemetry/api';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import type { ReadableSpan } from './helpers/sdk';
import { createPredictionApp, loadIrisModel } from '../examples/prediction-server/app';
import { readServerConfig, readTracingSwitch, readUrlPrefix } from '../examples/prediction-server/config';
import { defineControllers } from '../examples/prediction-server/controllers';
import { DRUM_PROTOCOL_VERSION } from '../examples/prediction-server/drum-protocol';
import { exampleOtelOptions } from '../examples/prediction-server/lifecycle';
import { SpanLineExporter, spanLine } from '../examples/prediction-server/span-line-exporter';
import { IRIS_CSV } from './e2e/server-process';
import { jsonErrorMessage } from './helpers/json';
import { listen, startServer, type RunningServer } from './helpers/server';
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

async function post(server: RunningServer, path: string, body: string | Buffer | FormData, contentType?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

const ROW_ROUTES = ['/predict/', '/predictions/', '/invocations', '/transform/', '/predictUnstructured/', '/predictionsUnstructured/'];

/** A multipart/form-data body, as `curl -F` sends it: each field a file (with a type) or a plain value. */
function form(fields: Record<string, { text: string; type?: string } | string>): FormData {
  const body = new FormData();
  for (const [name, field] of Object.entries(fields)) {
    if (typeof field === 'string') body.append(name, field);
    else body.append(name, new Blob([field.text], field.type === undefined ? {} : { type: field.type }), `${name.toLowerCase()}.data`);
  }
  return body;
}

const IRIS_JSON = JSON.stringify([
  { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
  { sepal_length: 7.0, sepal_width: 3.2, petal_length: 4.7, petal_width: 1.4 },
  { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 },
]);

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
  t.like(info, {
    targetType: 'multiclass',
    language: 'other',
    drumServer: 'express',
    classLabels: ['setosa', 'versicolor', 'virginica'],
    drumVersion: '1.17.20',
    drumOtelVersion: (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version,
  });
  t.is(DRUM_PROTOCOL_VERSION, '1.17.20');
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
  t.deepEqual(await (await fetch(`${untraced.url}/capabilities/`)).json(), {
    supported_payload_formats: { csv: null },
    supported_methods: { chat: true },
  });
});

test('/capabilities/ reports no chat for controllers defined for an app without the chat routes', async (t) => {
  const chatting = await startServer({
    controllers: defineControllers({ model: loadIrisModel(), maxBodyBytes: 1024, version: '0.0.0' }),
    defaultErrorHandler: false,
  });
  try {
    t.deepEqual(await (await fetch(`${chatting.url}/capabilities/`)).json(), {
      supported_payload_formats: { csv: null },
      supported_methods: { chat: false },
    });
  } finally {
    await chatting.close();
  }
});

const badInputs: readonly (readonly [label: string, body: string | Buffer, type: string | undefined, status: number, message: string])[] = [
  ['empty body', '', 'text/csv', 400, 'ERROR: the request body is empty; send CSV (text/csv) or JSON rows (application/json)'],
  ['blank body', ' \n ', undefined, 400, 'ERROR: the request body is empty; send CSV (text/csv) or JSON rows (application/json)'],
  ['wrong columns', 'a,b\n1,2\n', 'text/csv', 400, 'ERROR: the CSV header lacks the columns sepal_length, sepal_width, petal_length, petal_width; expected sepal_length, sepal_width, petal_length, petal_width; received "a,b"'],
  ['non-numeric cell', 'sepal_length,sepal_width,petal_length,petal_width\n1,2,x,4\n', 'text/csv', 400, 'ERROR: row 1, column petal_length: "x" is not a number'],
  ['number too large', 'sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1e400,2,3,4\n', 'text/csv', 400, 'ERROR: row 2, column sepal_length: "1e400" is too large to be finite'],
  ['model overflow', 'sepal_length,sepal_width,petal_length,petal_width\n1e308,-1e308,1e308,1e308\n', 'text/csv', 400, 'ERROR: row 1: the values are too large for the model'],
  ['bad CSV', 'sepal_length,sepal_width,petal_length,petal_width\n"1,2,3,4\n', 'text/csv', 400, 'ERROR: the CSV cannot be parsed: row 1: Quoted field unterminated'],
  ['not UTF-8', Buffer.from([0x73, 0xff, 0xfe, 0x0a]), 'text/csv', 400, 'ERROR: the request body is not valid UTF-8 text'],
  ['header only', 'sepal_length,sepal_width,petal_length,petal_width\n', 'text/csv', 400, 'ERROR: the input has no rows'],
  ['bad JSON', '[{', 'application/json', 400, `ERROR: the body is not valid JSON: ${jsonErrorMessage('[{')}`],
  ['unsupported type', '<rows/>', 'application/xml', 415, 'ERROR: unsupported Content-Type "application/xml"; send text/csv or application/json'],
  ['oversize body', `${IRIS_CSV}${'5.1,3.5,1.4,0.2\n'.repeat(80)}`, 'text/csv', 413, 'ERROR: the request body is larger than the limit of 1024 bytes'],
];

for (const [label, body, type, status, message] of badInputs) {
  test(`${label}: ${status} with {"message": "ERROR: ..."} on every prediction route`, async (t) => {
    for (const path of ROW_ROUTES) {
      const answer = await post(untraced, path, body, type);
      t.deepEqual([answer.status, JSON.parse(answer.body)], [status, { message }], path);
    }
  });
}

test('unknown routes get a JSON 404; a known route with another method a 405 naming the methods in Allow', async (t) => {
  const answer = await post(untraced, '/predict/extra', IRIS_CSV, 'text/csv');
  t.deepEqual([answer.status, JSON.parse(answer.body)], [404, { message: 'ERROR: no route for POST /predict/extra' }]);
  for (const path of ['/predict/', '/predict', '/invocations', '/transform/']) {
    const get = await fetch(`${untraced.url}${path}`);
    t.deepEqual(
      [get.status, get.headers.get('allow'), await get.json()],
      [405, 'POST', { message: `ERROR: GET is not allowed on ${path}; use POST` }],
      path,
    );
  }
  const put = await fetch(`${untraced.url}/ping/`, { method: 'PUT', body: 'x' });
  t.deepEqual(
    [put.status, put.headers.get('allow'), await put.json()],
    [405, 'GET, HEAD', { message: 'ERROR: PUT is not allowed on /ping/; use GET or HEAD' }],
  );
});

test('multipart X (DRUM\'s upload): a CSV file, an untyped file, a JSON file, a plain value: the answer of the text/csv body', async (t) => {
  const uploads = {
    'CSV file': form({ X: { text: IRIS_CSV, type: 'text/csv' } }),
    'untyped file (curl -F X=@iris.csv)': form({ X: { text: IRIS_CSV } }),
    'JSON file after another field': form({ other: 'ignored', X: { text: IRIS_JSON, type: 'application/json' } }),
    'plain value after another file': form({ sparse_colnames: { text: 'a\nb\n' }, X: IRIS_CSV }),
  };
  for (const path of ROW_ROUTES) {
    const expected = await post(untraced, path, IRIS_CSV, 'text/csv');
    t.is(expected.status, 200);
    for (const [label, body] of Object.entries(uploads)) {
      t.deepEqual(await post(untraced, path, body), expected, `${path}: ${label}`);
    }
  }
});

const badUploads: readonly (readonly [label: string, body: () => FormData | string, type: string | undefined, status: number, message: string])[] = [
  ['no field X', () => form({ x: { text: IRIS_CSV } }), undefined, 400, 'ERROR: the multipart body has no field X; send the rows as a file in X (curl -F X=@data.csv)'],
  ['X of another format', () => form({ X: { text: '%%MatrixMarket', type: 'text/mtx' } }), undefined, 415, 'ERROR: unsupported Content-Type "text/mtx" in the multipart field X; send text/csv or application/json'],
  ['X over the limit', () => form({ X: { text: 'x'.repeat(2048), type: 'text/csv' } }), undefined, 413, 'ERROR: the request body is larger than the limit of 1024 bytes'],
  ['empty X', () => form({ X: { text: '', type: 'text/csv' } }), undefined, 400, 'ERROR: the multipart field X is empty; send CSV (text/csv) or JSON rows (application/json)'],
  ['bad CSV in X', () => form({ X: { text: 'a;b\n1;2\n', type: 'text/csv' } }), undefined, 400, 'ERROR: the CSV header lacks the columns sepal_length, sepal_width, petal_length, petal_width; expected sepal_length, sepal_width, petal_length, petal_width; received "a;b", which looks semicolon-separated; send comma-separated values'],
  ['no boundary', () => IRIS_CSV, 'multipart/form-data', 400, 'ERROR: the multipart body cannot be read: Multipart: Boundary not found'],
  ['cut short', () => '--b\r\nContent-Disposition: form-data; name="X"; filename="x.csv"\r\n\r\nsepal', 'multipart/form-data; boundary=b', 400, 'ERROR: the multipart body cannot be read: Unexpected end of form'],
];

for (const [label, body, type, status, message] of badUploads) {
  test(`multipart ${label}: ${status} naming the problem on every prediction route`, async (t) => {
    for (const path of ROW_ROUTES) {
      const answer = await post(untraced, path, body(), type);
      t.deepEqual([answer.status, JSON.parse(answer.body)], [status, { message }], path);
    }
  });
}

test('a chunked body (no Content-Length) over the limit gets 413 once the limit is passed', async (t) => {
  const chunks = [IRIS_CSV, '5.1,3.5,1.4,0.2\n'.repeat(100)];
  const response = await fetch(`${untraced.url}/predict/`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: new ReadableStream({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    }),
    duplex: 'half',
  } as RequestInit);
  t.deepEqual([response.status, await response.json()], [413, { message: 'ERROR: the request body is larger than the limit of 1024 bytes' }]);
});

test('a connection that got an error before its body was read serves the next request', async (t) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const sockets = new Set<unknown>();
    const send = (body: string, type: string) =>
      new Promise<number>((resolve, reject) => {
        const outgoing = request(`${untraced.url}/predict/`, { method: 'POST', agent, headers: { 'content-type': type } }, (answer) => {
          sockets.add(answer.socket);
          answer.resume().on('end', () => resolve(answer.statusCode ?? 0));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    t.is(await send('<rows/>'.repeat(100), 'application/xml'), 415);
    t.is(await send('sepal_length,sepal_width\n'.repeat(40), 'text/csv'), 400);
    t.is(await send(IRIS_CSV, 'text/csv'), 200);
    t.is(sockets.size, 1, 'one keep-alive connection served all three');
  } finally {
    agent.destroy();
  }
});

test.serial('traced app: a multipart upload has its span on every prediction route, with the row count', async (t) => {
  exporter.reset();
  for (const path of ROW_ROUTES) t.is((await post(traced, path, form({ X: { text: IRIS_CSV } }))).status, 200, path);
  const spans = await finishedSpans(exporter, ROW_ROUTES.length);
  t.deepEqual(
    spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['http.response.status_code'], span.attributes['drum.prediction.rows']]),
    [
      ['drum.invocations', '/predict/', 200, 3],
      ['drum.invocations', '/predictions/', 200, 3],
      ['drum.invocations', '/invocations', 200, 3],
      ['drum.transform', '/transform/', 200, 3],
      ['drum.predictUnstructured', '/predictUnstructured/', 200, 3],
      ['drum.predictUnstructured', '/predictionsUnstructured/', 200, 3],
    ],
  );
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
  const noBackend = { backend: undefined, timeoutMs: 3_600_000 };
  t.deepEqual(readServerConfig({}), { port: 8080, host: undefined, urlPrefix: '', workers: 1, tracing: true, chatTokenDelayMs: 20, directAccess: noBackend });
  t.deepEqual(
    readServerConfig({ PORT: '0', HOST: '127.0.0.1', URL_PREFIX: '/drum/', WORKERS: '4', ENABLE_OTEL: 'False', CHAT_TOKEN_DELAY_MS: '0' }),
    { port: 0, host: '127.0.0.1', urlPrefix: '/drum', workers: 4, tracing: false, chatTokenDelayMs: 0, directAccess: noBackend },
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
