import test from 'ava';
import { startReceiver } from './otlp-receiver';
import { postCsv, startNpmStart } from './server-process';

// `npm start` and `npm run start:koa` as a user runs them: a stop signal to the npm process must stop the
// server it started (which drains and flushes), not leave it serving the port as an orphan.

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

/** Whether a process with this pid still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Each npm script that starts the example server: its span route for `/predict/` and the details of its banner. */
const SCRIPTS = [
  { script: 'start', route: '/predict/', details: '(workers: 1, tracing: on)' },
  { script: 'start:koa', route: '/predict', details: '(server: koa, workers: 1, tracing: on)' },
] as const;

for (const { script, route, details } of SCRIPTS) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to the npm ${script} process: the server exits, npm exits 0, the last span is exported`, async (t) => {
      const receiver = await startReceiver();
      try {
        const npm = await startNpmStart(
          t,
          { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
          script,
        );
        t.is((await postCsv(npm, '/predict/', { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` })).status, 200);
        // The span waits for the batch delay (5 s): only the shutdown the signal starts can export it now.
        t.deepEqual(receiver.exports, []);

        const exit = await npm.stop(signal);
        t.deepEqual([exit.code, exit.signal], [0, null], 'npm exits 0');
        const spans = receiver.spans();
        t.deepEqual(
          spans.map((span) => [span.name, span.traceId, span.parentSpanId, span.attributes['http.route']]),
          [['drum.invocations', TRACE_ID, PARENT_SPAN, route]],
        );
        const serverPid = spans[0]?.resource['process.pid'];
        t.true(typeof serverPid === 'number' && serverPid !== npm.child.pid, `the server is npm's child (pid ${String(serverPid)})`);
        t.false(alive(serverPid as number), 'the server process is gone');
        t.regex(npm.output(), /prediction server listening on http:\/\/localhost:\d+\/ \(/);
        t.true(npm.output().includes(`/ ${details}`), npm.output());
      } finally {
        await receiver.close();
      }
    });
  }
}
