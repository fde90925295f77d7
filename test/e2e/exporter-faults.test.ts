import test from 'ava';
import { refusingEndpoint, startReceiver, type OtlpReceiver } from './otlp-receiver';
import { postCsv, PREDICTION_SERVER, PROCESS_BOUND_MS, startProcess } from './server-process';

// A collector that is down or stuck must not slow the answers or keep the server from stopping.

const REQUESTS = 20;
const SHUTDOWN_WARNING = 'drum-otel: spans, metrics and log records not exported within 5000 ms of shutdown are dropped';
// setupOtel bounds shutdown() at 5 s by default; the rest is process start-up and stop.
const EXIT_WITHIN_MS = 9000;

async function collectorFor(behaviour: 'refused' | 'hanging'): Promise<{ url: string; receiver?: OtlpReceiver }> {
  if (behaviour === 'refused') return { url: await refusingEndpoint() };
  const receiver = await startReceiver('hang');
  return { url: receiver.url, receiver };
}

for (const behaviour of ['refused', 'hanging'] as const) {
  test(`collector ${behaviour}: every request is answered, SIGTERM exits 0 within a few seconds and says spans were dropped`, async (t) => {
    const { url, receiver } = await collectorFor(behaviour);
    try {
      const server = await startProcess(t, PREDICTION_SERVER, {
        PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Export after each request, so that exports are stuck while the later requests are served.
        OTEL_BSP_SCHEDULE_DELAY: '10',
      });
      for (let i = 0; i < REQUESTS; i++) {
        // send() rejects when no answer comes within 10 s: a blocked server fails here.
        t.is((await postCsv(server, '/predict/')).status, 200, `request ${i}`);
      }
      if (receiver !== undefined) t.true(receiver.exports.length >= 1, 'an export was in flight, unanswered');
      const exit = await server.stop('SIGTERM');
      t.deepEqual([exit.code, exit.signal], [0, null]);
      t.true(exit.millis < EXIT_WITHIN_MS, `exited ${exit.millis} ms after SIGTERM`);
      t.true(server.stderr().includes(SHUTDOWN_WARNING), server.stderr());
    } finally {
      await receiver?.close();
    }
  });
}

test('collector refusing with a short OTEL_EXPORTER_OTLP_TIMEOUT: each failed export is logged through diag in one line', async (t) => {
  const url = await refusingEndpoint();
  const server = await startProcess(t, PREDICTION_SERVER, {
    PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_TIMEOUT: '200',
    OTEL_BSP_SCHEDULE_DELAY: '10',
  });
  const port = new URL(url).port;
  const failure = `drum-otel: OpenTelemetry SDK error (usually a failed export): connect ECONNREFUSED 127.0.0.1:${port}`;
  t.is((await postCsv(server, '/predict/')).status, 200);
  const deadline = Date.now() + PROCESS_BOUND_MS;
  while (!server.stderr().includes(failure) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.is((await postCsv(server, '/predict/')).status, 200, 'still answering after the failure');
  const exit = await server.stop('SIGTERM');
  t.deepEqual([exit.code, exit.signal], [0, null]);
  const lines = server.stderr().split('\n').filter((line) => line !== '');
  t.true(lines.length >= 1);
  t.deepEqual(
    lines.filter((line) => !line.startsWith('drum-otel: ')),
    [],
    'every diag line is a one-line drum-otel message (no JSON dump, no stack)',
  );
  t.true(lines.includes(failure), server.stderr());
});
