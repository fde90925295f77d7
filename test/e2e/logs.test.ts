import test from 'ava';
import { withReceiver, type OtlpReceiver } from './otlp-receiver';
import { IRIS_CSV, postCsv, PREDICTION_SERVER, send, startProcess, type ServerProcess } from './server-process';
import { exportedLogRecords, type ExportedLogRecord } from '../setup/support';

// The example server's own log lines as OpenTelemetry log records: printed one line each, and exported over
// OTLP when OTEL_LOGS_EXPORTER says so, a rejected request's inside its request's trace.

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const SEVERITY = { INFO: 9, WARN: 13, ERROR: 17 } as const;

function exportEnv(receiver: OtlpReceiver, logsExporter: string): Record<string, string> {
  return {
    PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_LOGS_EXPORTER: logsExporter,
    OTEL_SERVICE_NAME: 'iris-logs',
  };
}

/** A prediction request the server rejects with 400, sent in the trace TRACE. */
function sendRejected(server: ServerProcess, csv: string) {
  return send(`${server.url}/predict/`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', traceparent: `00-${TRACE}-${PARENT}-01` },
    body: csv,
  });
}

function recordWithBody(t: import('ava').ExecutionContext, records: readonly ExportedLogRecord[], pattern: RegExp): ExportedLogRecord {
  const matching = records.filter((record) => typeof record.body === 'string' && pattern.test(record.body));
  t.is(matching.length, 1, `records matching ${pattern}: ${JSON.stringify(records.map((record) => record.body))}`);
  return matching[0];
}

test('OTEL_LOGS_EXPORTER=otlp: the start-up line and a rejected request arrive as records, the 400 in its request trace', async (t) => {
  await withReceiver(async (receiver) => {
    const server = await startProcess(t, PREDICTION_SERVER, exportEnv(receiver, 'otlp'));
    const bad = await sendRejected(server, 'a,b\n1,2\n');
    t.is(bad.status, 400);
    t.is((await postCsv(server, '/predict/')).status, 200);
    const exit = await server.stop('SIGTERM');
    t.deepEqual([exit.code, exit.signal], [0, null]);

    // The batch processor's delay has not passed: what arrived was flushed by the SIGTERM shutdown.
    const records = exportedLogRecords(receiver);
    const started = recordWithBody(t, records, /^prediction server listening on http:\/\/localhost:\d+\/ \(workers: 1, tracing: on\)$/);
    t.deepEqual([started.severityNumber, started.severityText, started.traceId], [SEVERITY.INFO, 'info', '']);
    t.is(started.resource['service.name'], 'iris-logs');
    t.is(started.scope, '@opentelemetry/instrumentation-pino');

    const rejected = recordWithBody(t, records, /^POST \/predict\/ -> 400: /);
    t.deepEqual([rejected.severityNumber, rejected.severityText], [SEVERITY.WARN, 'warn']);
    t.deepEqual(
      [rejected.attributes['http.request.method'], rejected.attributes['url.path'], rejected.attributes['http.response.status_code']],
      ['POST', '/predict/', 400],
    );
    const [span] = receiver.spans().filter((exported) => exported.traceId === TRACE);
    t.is(span.name, 'drum.invocations');
    t.is(span.parentSpanId, PARENT);
    t.deepEqual([rejected.traceId, rejected.spanId], [TRACE, span.spanId]);

    recordWithBody(t, records, /^prediction server: stopping \(SIGTERM\): finishing the requests in flight$/);
    recordWithBody(t, records, /^prediction server: stopped$/);
    // The successful prediction wrote no record.
    t.is(records.length, 4, JSON.stringify(records.map((record) => record.body)));
  });
});

test('the printed lines: one per record, the rejection on stderr with its trace', async (t) => {
  await withReceiver(async (receiver) => {
    const server = await startProcess(t, PREDICTION_SERVER, exportEnv(receiver, 'none'));
    const bad = await sendRejected(server, IRIS_CSV.replace('5.1', 'five'));
    t.is(bad.status, 400);
    await server.stop('SIGTERM');
    t.regex(server.output(), /^prediction server listening on http:\/\/localhost:\d+\/ \(workers: 1, tracing: on\)\n/);
    t.true(server.output().endsWith('prediction server: stopping (SIGTERM): finishing the requests in flight\nprediction server: stopped\n'));
    t.is(
      server.stderr(),
      `POST /predict/ -> 400: row 1, column sepal_length: "five" is not a number (trace ${TRACE})\n`,
    );
    // OTEL_LOGS_EXPORTER=none: spans are exported, log records are not.
    t.true(receiver.exports.some((received) => received.path.endsWith('/v1/traces')));
    t.deepEqual(receiver.exports.filter((received) => received.path.endsWith('/v1/logs')), []);
  });
});
