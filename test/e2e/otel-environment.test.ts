import test, { type ExecutionContext } from 'ava';
import { exportsByPath, signalsExported, withReceiver, type OtlpReceiver } from './otlp-receiver';
import { postCsv, PREDICTION_SERVER, startProcess, type ServerProcess } from './server-process';

// The example server under OpenTelemetry variables that are wrong or that turn it off: it always starts,
// says what is wrong in one line each on stderr, and its banner says whether it traces. Serial: one server
// starting at a time keeps the start-up of each within bounds on a busy machine.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` };
const SPAN_LINE = new RegExp(`^span drum\\.invocations SERVER POST /predict/ 200 .* trace=${TRACE_ID} `, 'm');

/** Starts the example server with `env`, exporting to a fresh receiver, and runs `run`; closes the receiver. */
async function serveExporting(
  t: ExecutionContext,
  env: Record<string, string>,
  run: (server: ServerProcess, receiver: OtlpReceiver) => Promise<void>,
): Promise<void> {
  await withReceiver(async (receiver) => {
    const server = await startProcess(t, PREDICTION_SERVER, { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
    await run(server, receiver);
  });
}

function banner(server: ServerProcess): string | undefined {
  return /^prediction server listening on .*$/m.exec(server.output())?.[0];
}

async function stopCleanly(t: ExecutionContext, server: ServerProcess): Promise<void> {
  const exit = await server.stop('SIGTERM');
  t.deepEqual([exit.code, exit.signal], [0, null], 'exits 0 on SIGTERM');
}

test.serial('OTEL_SDK_DISABLED=yes: starts with tracing on and one warning line; spans are made', async (t) => {
  const server = await startProcess(t, PREDICTION_SERVER, { PORT: '0', OTEL_SDK_DISABLED: 'yes' });
  t.regex(banner(server) ?? '', /\(workers: 1, tracing: on\)$/);
  t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
  await stopCleanly(t, server);
  t.is(server.stderr(), 'setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false; using false\n');
  t.regex(server.output(), SPAN_LINE);
});

test.serial('OTEL_SDK_DISABLED=true: the banner says tracing is off and why; no span is printed', async (t) => {
  const server = await startProcess(t, PREDICTION_SERVER, { PORT: '0', OTEL_SDK_DISABLED: 'TRUE' });
  t.regex(banner(server) ?? '', /\(workers: 1, tracing: off \(OTEL_SDK_DISABLED\)\)$/);
  t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
  await stopCleanly(t, server);
  t.is(server.stderr(), '');
  t.notRegex(server.output(), /^span /m);
});

test.serial('MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED payload true, WORKERS=2: no spans exported, the banner says tracing is off', async (t) => {
  const env = { WORKERS: '2', MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '{"type":"boolean","payload":true}' };
  await serveExporting(t, env, async (server, receiver) => {
    t.regex(banner(server) ?? '', /\(workers: 2, tracing: off \(MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED\)\)$/);
    for (let i = 0; i < 4; i++) t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
    await stopCleanly(t, server);
    t.deepEqual(receiver.exports, []);
    t.is(server.stderr(), '');
  });
});

test.serial('MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED malformed: one warning line, tracing on', async (t) => {
  const server = await startProcess(t, PREDICTION_SERVER, { PORT: '0', MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: 'true' });
  t.regex(banner(server) ?? '', /tracing: on\)$/);
  t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
  await stopCleanly(t, server);
  t.is(
    server.stderr(),
    'setupOtel: MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED="true" is invalid; expected JSON such as {"type":"boolean","payload":true}; ignored\n',
  );
  t.regex(server.output(), SPAN_LINE);
});

test.serial('OTEL_EXPORTER_OTLP_COMPRESSION=gzp with an endpoint: the exporters warning once on stderr, spans exported uncompressed', async (t) => {
  const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzp' };
  await serveExporting(t, env, async (server, receiver) => {
    t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
    await stopCleanly(t, server);
    t.is(server.stderr(), "Configuration: OTEL_EXPORTER_OTLP_COMPRESSION is invalid, expected 'none' or 'gzip' (actual: 'gzp')\n");
    // Every signal's exporter reads the variable: the server's log lines, the metrics recorded for the request and
    // its trace, uncompressed.
    t.deepEqual(signalsExported(receiver, (received) => received.headers['content-encoding']), [
      ['/v1/logs', undefined],
      ['/v1/metrics', undefined],
      ['/v1/traces', undefined],
    ]);
    t.deepEqual(receiver.spans().map((span) => [span.name, span.traceId]), [['drum.invocations', TRACE_ID]]);
  });
});

test.serial('wrong OTEL variables that once stopped the server: it starts, one warning line each, and traces', async (t) => {
  const env = {
    OTEL_TRACES_EXPORTER: 'zipkin,otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_LOG_LEVEL: 'loud',
    OTEL_PROPAGATORS: 'tracecontext,xray',
  };
  await serveExporting(t, env, async (server, receiver) => {
    t.is((await postCsv(server, '/predict/', TRACEPARENT)).status, 200);
    await stopCleanly(t, server);
    t.deepEqual(server.stderr().split('\n'), [
      'setupOtel: OTEL_LOG_LEVEL="loud" is invalid; expected one of none, error, warn, info, debug, verbose, all; using warn',
      'setupOtel: OTEL_PROPAGATORS="tracecontext,xray" names "xray", not one of tracecontext, baggage, b3, b3multi, none; skipped',
      'setupOtel: OTEL_TRACES_EXPORTER="zipkin,otlp" names "zipkin", not one of otlp, console, none; skipped',
      'setupOtel: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is invalid; expected http/protobuf or http/json (drum-otel does not export over gRPC); using http/protobuf',
      '',
    ]);
    t.deepEqual(signalsExported(receiver, (received) => received.contentType), [
      ['/v1/logs', 'application/x-protobuf'],
      ['/v1/metrics', 'application/x-protobuf'],
      ['/v1/traces', 'application/x-protobuf'],
    ]);
    const traces = exportsByPath(receiver).find((received) => received.path === '/v1/traces')!;
    t.true(traces.body.includes(Buffer.from(TRACE_ID, 'hex')));
  });
});

test.serial('an endpoint without http://: one warning line at start, and each failed export says why', async (t) => {
  // Log records off: each failed batch of them would add a line whenever its export happens to run.
  const env = { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_LOGS_EXPORTER: 'none' };
  const server = await startProcess(t, PREDICTION_SERVER, env);
  t.is((await postCsv(server, '/predict/')).status, 200);
  await stopCleanly(t, server);
  // The warning comes first; the two signals' last exports fail in either order.
  const [warning, ...failures] = server.stderr().split('\n');
  t.is(warning, 'setupOtel: OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is invalid; expected an http:// or https:// URL; every export to it fails');
  t.deepEqual(failures.sort(), [
    '',
    'drum-otel: OpenTelemetry SDK error (usually a failed export): PeriodicExportingMetricReader: metrics export failed (error TypeError [ERR_INVALID_PROTOCOL]: Protocol "collector:" not supported. Expected "https:")',
    'drum-otel: exporting the last spans at shutdown failed: Protocol "collector:" not supported. Expected "https:"',
  ]);
});
