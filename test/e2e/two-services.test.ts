import test from 'ava';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { startReceiver } from './otlp-receiver';
import { GATEWAY, postCsv, PREDICTION_SERVER, startProcess } from './server-process';

const SERVER_KIND = 2;
const CLIENT_KIND = 3;

test('gateway -> prediction server: one trace across both processes, each hop the parent of the next', async (t) => {
  const receiver = await startReceiver();
  try {
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const prediction = await startProcess(t, PREDICTION_SERVER, { PORT: '0', ...otel });
    const gateway = await startProcess(t, GATEWAY, { PORT: '0', PREDICTION_URL: prediction.url, ...otel });
    const answer = await postCsv(gateway, '/predict/', { 'X-DataRobot-Consumer-Id': 'user-9' });
    t.is(answer.status, 200);
    t.is((answer.json() as { predictions: unknown[] }).predictions.length, 3);
    for (const server of [gateway, prediction]) {
      const exit = await server.stop('SIGTERM');
      t.deepEqual([exit.code, exit.signal], [0, null]);
    }

    const spans = receiver.spans();
    t.deepEqual(spans.map((span) => span.name).sort(), ['POST', 'drum.invocations', 'gateway.predict']);
    const byName = new Map(spans.map((span) => [span.name, span]));
    const entry = byName.get('gateway.predict')!;
    const client = byName.get('POST')!;
    const served = byName.get('drum.invocations')!;
    t.is(new Set(spans.map((span) => span.traceId)).size, 1, 'one trace id');
    t.like(entry, { kind: SERVER_KIND, parentSpanId: '', resource: { [ATTR_SERVICE_NAME]: 'drum-gateway' } });
    t.is(entry.attributes['gen_ai.request.consumer_id'], 'user-9');
    t.like(client, { kind: CLIENT_KIND, parentSpanId: entry.spanId, attributes: { 'http.response.status_code': 200 } });
    t.like(served, {
      kind: SERVER_KIND,
      parentSpanId: client.spanId,
      resource: { [ATTR_SERVICE_NAME]: 'drum' },
      attributes: { 'http.route': '/predict/', 'http.response.status_code': 200 },
    });
  } finally {
    await receiver.close();
  }
});
