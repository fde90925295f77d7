import test from 'ava';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { exportsByPath, signalsExported, withReceiver, type ExportedSpan, type OtlpReceiver } from './otlp-receiver';
import { IRIS_CSV, postCsv, PREDICTION_SERVERS, send, startProcess, type ServerProcess } from './server-process';

// The example server as `npm start` (Express) and `npm run start:koa` run it, exporting OTLP/HTTP to a
// receiver on loopback: the same spans from both, but for Koa's routes without their trailing slash.

const SERVER_KIND = 2;
const TRACEPARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT_SPAN = '00f067aa0ba902b7';
const B3_MULTI_TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const B3_MULTI_SPAN = 'e457b5a2e4d86bd1';
const B3_SINGLE_TRACE = '463ac35c9f6413ad48485a3953bb6124';
const B3_SINGLE_SPAN = 'a2fb4a1d1a96d312';
const HEALTH_ROUTES = ['/', '/ping/', '/ping', '/health/', '/info/', '/stats/', '/capabilities/'];

function spansNamed(spans: readonly ExportedSpan[], name: string): ExportedSpan[] {
  return spans.filter((span) => span.name === name);
}

function spanOfTrace(t: import('ava').ExecutionContext, spans: readonly ExportedSpan[], traceId: string): ExportedSpan {
  const matching = spans.filter((span) => span.traceId === traceId);
  t.is(matching.length, 1, `spans of trace ${traceId}: ${JSON.stringify(matching)}`);
  return matching[0];
}

function jsonExportEnv(receiver: OtlpReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...extra };
}

async function stopCleanly(t: import('ava').ExecutionContext, server: ServerProcess): Promise<void> {
  const exit = await server.stop('SIGTERM');
  t.deepEqual([exit.code, exit.signal], [0, null], 'exits 0 on SIGTERM');
}

for (const { name, script, route: spanRoute } of PREDICTION_SERVERS) {
  test(`${name}: http/json: names, kinds, parents from traceparent and B3, consumer headers, status codes, service.name; no health spans`, async (t) => {
    await withReceiver(async (receiver) => {
      const server = await startProcess(
        t,
        script,
        jsonExportEnv(receiver, { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e' }),
      );
      const predict = await postCsv(server, '/predict/', {
        traceparent: `00-${TRACEPARENT_TRACE}-${TRACEPARENT_SPAN}-01`,
        'X-DataRobot-Consumer-Id': 'user-42',
        'X-DataRobot-Consumer-Type': 'service-account',
      });
      t.is(predict.status, 200);
      t.deepEqual(
        (predict.json() as { predictions: Record<string, number>[] }).predictions.map((row) =>
          Object.entries(row).sort((a, b) => b[1] - a[1])[0][0],
        ),
        ['setosa', 'versicolor', 'virginica'],
      );
      const predictions = await send(`${server.url}/predictions/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'X-B3-TraceId': B3_MULTI_TRACE,
          'X-B3-SpanId': B3_MULTI_SPAN,
          'X-B3-Sampled': '1',
        },
        body: JSON.stringify([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]),
      });
      t.is(predictions.status, 200);
      const invocations = await postCsv(server, '/invocations', { b3: `${B3_SINGLE_TRACE}-${B3_SINGLE_SPAN}-1` });
      t.is(invocations.status, 200);
      t.is((await postCsv(server, '/transform/')).status, 200);
      const unstructured = await postCsv(server, '/predictUnstructured/');
      t.deepEqual([unstructured.status, unstructured.body], [200, 'species\nsetosa\nversicolor\nvirginica\n']);
      t.is((await postCsv(server, '/predictionsUnstructured/')).status, 200);
      const bad = await send(`${server.url}/predict/`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
      t.is(bad.status, 400);
      for (const route of HEALTH_ROUTES) t.is((await send(`${server.url}${route}`)).status, 200, route);

      // Nothing is exported before the batch delay: what arrives below was flushed by the SIGTERM shutdown.
      await stopCleanly(t, server);
      const spans = receiver.spans();
      t.deepEqual(spans.map((span) => span.name).sort(), [
        'drum.invocations',
        'drum.invocations',
        'drum.invocations',
        'drum.invocations',
        'drum.predictUnstructured',
        'drum.predictUnstructured',
        'drum.transform',
      ]);
      t.true(spans.every((span) => span.kind === SERVER_KIND));
      t.true(spans.every((span) => span.resource[ATTR_SERVICE_NAME] === 'drum'));
      t.true(spans.every((span) => span.resource['deployment.environment.name'] === 'e2e'));
      // The server's own log lines are exported too (OTEL_LOGS_EXPORTER defaults to otlp with an endpoint).
      t.deepEqual(signalsExported(receiver, (received) => received.contentType), [
        ['/v1/logs', 'application/json'],
        ['/v1/metrics', 'application/json'],
        ['/v1/traces', 'application/json'],
      ]);

      const fromTraceparent = spanOfTrace(t, spans, TRACEPARENT_TRACE);
      t.like(fromTraceparent, {
        name: 'drum.invocations',
        parentSpanId: TRACEPARENT_SPAN,
        attributes: {
          'gen_ai.request.consumer_id': 'user-42',
          'gen_ai.request.consumer_type': 'service-account',
          'http.response.status_code': 200,
          'http.request.method': 'POST',
          'http.route': spanRoute('/predict/'),
          'drum.prediction.rows': 3,
        },
      });
      t.like(spanOfTrace(t, spans, B3_MULTI_TRACE), {
        name: 'drum.invocations',
        parentSpanId: B3_MULTI_SPAN,
        attributes: { 'http.route': spanRoute('/predictions/'), 'http.response.status_code': 200 },
      });
      t.like(spanOfTrace(t, spans, B3_SINGLE_TRACE), {
        name: 'drum.invocations',
        parentSpanId: B3_SINGLE_SPAN,
        attributes: { 'http.route': '/invocations' },
      });
      const withoutConsumer = spans.filter((span) => span !== fromTraceparent);
      t.true(withoutConsumer.every((span) => !('gen_ai.request.consumer_id' in span.attributes)));
      const rejected = spans.filter((span) => span.attributes['http.response.status_code'] === 400);
      t.is(rejected.length, 1);
      t.like(rejected[0], { name: 'drum.invocations', parentSpanId: '', status: { code: 0 }, attributes: { 'http.route': spanRoute('/predict/') } });
      t.deepEqual(
        spansNamed(spans, 'drum.predictUnstructured').map((span) => span.attributes['http.route']).sort(),
        [spanRoute('/predictUnstructured/'), spanRoute('/predictionsUnstructured/')],
      );
      t.is(spansNamed(spans, 'drum.transform')[0].attributes['http.route'], spanRoute('/transform/'));
    });
  });

  test(`${name}: default http/protobuf: arrives at /v1/traces as application/x-protobuf carrying the span names and trace id`, async (t) => {
    await withReceiver(async (receiver) => {
      const server = await startProcess(t, script, { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      t.is((await postCsv(server, '/predict/', { traceparent: `00-${TRACEPARENT_TRACE}-${TRACEPARENT_SPAN}-01` })).status, 200);
      t.is((await postCsv(server, '/transform/')).status, 200);
      await stopCleanly(t, server);
      t.deepEqual(signalsExported(receiver, (received) => received.contentType), [
        ['/v1/logs', 'application/x-protobuf'],
        ['/v1/metrics', 'application/x-protobuf'],
        ['/v1/traces', 'application/x-protobuf'],
      ]);
      const received = exportsByPath(receiver).find((exported) => exported.path === '/v1/traces')!;
      for (const text of ['drum.invocations', 'drum.transform', 'service.name', 'http.route', spanRoute('/predict/'), spanRoute('/transform/')]) {
        t.true(received.body.includes(Buffer.from(text)), `the export carries ${text}`);
      }
      // Protobuf carries ids as raw bytes.
      t.true(received.body.includes(Buffer.from(TRACEPARENT_TRACE, 'hex')));
      t.true(received.body.includes(Buffer.from(TRACEPARENT_SPAN, 'hex')));
      t.false(received.body.includes(Buffer.from('drum.ping')));
    });
  });

  test(`${name}: WORKERS=2: both workers serve and every span of every completed request is delivered after SIGTERM`, async (t) => {
    await withReceiver(async (receiver) => {
      const server = await startProcess(t, script, jsonExportEnv(receiver, { WORKERS: '2' }));
      const traceIds = Array.from({ length: 12 }, (_, i) => `${'a'.repeat(24)}${String(i).padStart(8, '0')}`);
      for (const traceId of traceIds) {
        t.is((await postCsv(server, '/predict/', { traceparent: `00-${traceId}-${TRACEPARENT_SPAN}-01` })).status, 200);
      }
      for (const route of HEALTH_ROUTES) t.is((await send(`${server.url}${route}`)).status, 200, route);
      await stopCleanly(t, server);
      const spans = receiver.spans();
      t.deepEqual(spans.map((span) => span.traceId).sort(), traceIds);
      t.true(spans.every((span) => span.name === 'drum.invocations' && span.parentSpanId === TRACEPARENT_SPAN));
      const pids = new Set(spans.map((span) => span.resource['process.pid']));
      t.is(pids.size, 2, 'spans come from two worker processes');
      t.false(pids.has(server.child.pid), 'the primary serves nothing');
    });
  });

  test(`${name}: URL_PREFIX: routes and span routes carry the prefix; health routes under it stay untraced`, async (t) => {
    await withReceiver(async (receiver) => {
      const server = await startProcess(t, script, jsonExportEnv(receiver, { URL_PREFIX: 'drum/' }));
      t.is((await postCsv(server, '/drum/predict/')).status, 200);
      t.is((await send(`${server.url}/drum/ping/`)).status, 200);
      t.is((await send(`${server.url}/drum/`)).status, 200);
      const unprefixed = await postCsv(server, '/predict/');
      t.deepEqual([unprefixed.status, unprefixed.json()], [404, { message: 'ERROR: no route for POST /predict/' }]);
      await stopCleanly(t, server);
      const spans = receiver.spans();
      t.deepEqual(
        spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['url.path']]),
        [['drum.invocations', spanRoute('/drum/predict/'), '/drum/predict/']],
      );
    });
  });

  for (const [variable, value] of [
    ['ENABLE_OTEL', 'false'],
    ['MLOPS_RUNTIME_PARAM_ENABLE_OTEL', '{"type":"boolean","payload":false}'],
  ] as const) {
    test(`${name}: ${variable}=${value}: predictions are served and nothing is exported`, async (t) => {
      await withReceiver(async (receiver) => {
        const server = await startProcess(t, script, jsonExportEnv(receiver, { [variable]: value }));
        t.regex(server.output(), /tracing: off/);
        t.is((await postCsv(server, '/predict/', { traceparent: `00-${TRACEPARENT_TRACE}-${TRACEPARENT_SPAN}-01` })).status, 200);
        await stopCleanly(t, server);
        t.deepEqual(receiver.exports, []);
      });
    });
  }

  test(`${name}: without OTEL variables prints one line per span, and none for health routes`, async (t) => {
    const server = await startProcess(t, script, { PORT: '0' });
    t.is(
      (await send(`${server.url}/predict/`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', traceparent: `00-${TRACEPARENT_TRACE}-${TRACEPARENT_SPAN}-01`, 'X-DataRobot-Consumer-Id': 'user-7' },
        body: IRIS_CSV,
      })).status,
      200,
    );
    t.is((await send(`${server.url}/ping/`)).status, 200);
    await stopCleanly(t, server);
    const banner = name === 'Koa' ? /listening on http:\/\/localhost:\d+\/ \(server: koa, workers: 1, tracing: on\)/ : /\/ \(workers: 1, tracing: on\)/;
    t.regex(server.output(), banner);
    const spanLines = server.output().split('\n').filter((line) => line.startsWith('span '));
    t.is(spanLines.length, 1);
    t.regex(
      spanLines[0],
      new RegExp(
        `^span drum\\.invocations SERVER POST ${spanRoute('/predict/')} 200 \\d+\\.\\dms trace=${TRACEPARENT_TRACE} span=[0-9a-f]{16} parent=${TRACEPARENT_SPAN} consumer=user-7/-$`,
      ),
    );
  });
}
