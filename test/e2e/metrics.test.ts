import test from 'ava';
import OpenAI from 'openai';
import type { ExportedMetric } from './otlp-metrics';
import { withReceiver } from './otlp-receiver';
import { IRIS_HEADER, PREDICTION_SERVER, postCsv, send, startProcess } from './server-process';

// The example server as `npm start` runs it, exporting OTLP/HTTP JSON: after a known mix of requests and a SIGTERM,
// the receiver holds the HTTP server metrics per route and status (probes absent) and the GenAI server metrics.

const PREDICTIONS = 100;
const BAD_CSVS = 10;
const PINGS = 20;
const CHATS = 5;

/** The data points of the one exported metric called `name` (the last export holds the cumulative totals). */
function pointsOf(metrics: readonly ExportedMetric[], name: string): ExportedMetric['dataPoints'] {
  const named = metrics.filter((metric) => metric.name === name);
  if (named.length === 0) throw new Error(`no metric ${name} among ${[...new Set(metrics.map((metric) => metric.name))].join(', ')}`);
  return named[named.length - 1].dataPoints;
}

test('after 100 predictions, 10 bad CSVs, 20 pings and 5 streamed chats: exact counts per route and status, no probes, GenAI series', async (t) => {
  await withReceiver(async (receiver) => {
    const server = await startProcess(t, PREDICTION_SERVER, {
      PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      CHAT_TOKEN_DELAY_MS: '1',
    });
    for (let i = 0; i < PREDICTIONS; i++) t.is((await postCsv(server, '/predict/')).status, 200);
    for (let i = 0; i < BAD_CSVS; i++) {
      const bad = await send(`${server.url}/predict/`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `${IRIS_HEADER}\n1e400,2,3,4\n` });
      t.is(bad.status, 400);
    }
    for (let i = 0; i < PINGS; i++) t.is((await send(`${server.url}/ping/`)).status, 200);
    const client = new OpenAI({ apiKey: 'not-checked', baseURL: `${server.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < CHATS; i++) {
      const stream = await client.chat.completions.create({
        model: 'iris-assistant-mini',
        messages: [{ role: 'user', content: '5.1 3.5 1.4 0.2' }],
        stream: true,
      });
      let answer = '';
      for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? '';
      t.is(answer, 'setosa (1.00)');
    }
    // SIGTERM: the server flushes its last metrics before it exits.
    t.deepEqual([(await server.stop('SIGTERM')).code], [0]);

    const metrics = receiver.metrics();
    const durations = pointsOf(metrics, 'http.server.request.duration');
    const counts = durations
      .map((point) => [point.attributes['http.request.method'], point.attributes['http.route'], point.attributes['http.response.status_code'], point.count])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    t.deepEqual(counts, [
      ['POST', '/predict/', 200, PREDICTIONS],
      ['POST', '/predict/', 400, BAD_CSVS],
      ['POST', '/v1/chat/completions', 200, CHATS],
    ]);
    for (const point of durations) {
      t.is(point.attributes['url.scheme'], 'http');
      t.is(point.attributes['network.protocol.version'], '1.1');
      // Every measured duration fell in one bucket: the bucket counts add up to the count.
      t.is(point.bucketCounts?.reduce((sum, count) => sum + count, 0), point.count);
    }
    t.false(durations.some((point) => String(point.attributes['http.route']).includes('ping')), 'a probe was measured');
    // Back to 0 after the load: one series, for the POSTs (the @NoTrace() probes are not counted).
    t.deepEqual(
      pointsOf(metrics, 'http.server.active_requests').map((point) => [point.attributes['http.request.method'], point.attributes['url.scheme'], point.value]),
      [['POST', 'http', 0]],
    );

    for (const name of ['gen_ai.server.request.duration', 'gen_ai.server.time_to_first_token']) {
      t.deepEqual(
        pointsOf(metrics, name).map((point) => [
          point.attributes['gen_ai.operation.name'],
          point.attributes['gen_ai.request.model'],
          point.attributes['gen_ai.response.model'],
          point.count,
        ]),
        [['chat', 'iris-assistant-mini', 'iris-assistant-mini', CHATS]],
        name,
      );
    }
  });
});
