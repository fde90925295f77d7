import 'reflect-metadata';
import test from 'ava';
import type { NextFunction, Request, Response } from 'express';
import { instrumentControllers } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { assertOneSpanFor, endSpan, hookController, HOOKS, outcome, throwingController, THROWN, trackRejections } from './error-cases';
import { drumSpans, startServerWith } from './support';

const { exporter } = registerTracing();
const diagRecords = captureDiag();
trackRejections();

const InstrumentedJson = throwingController('/i-json', true);
const TwinJson = throwingController('/t-json', true);
const InstrumentedText = throwingController('/i-text', false);
const TwinText = throwingController('/t-text', false);
const hookNames = Object.keys(HOOKS);
const hookControllers = hookNames.map((_, index) => hookController(`/hook${index}`));
const TwinHooks = hookController('/hook-twin');

let defaultServer: RunningServer;
let customServer: RunningServer;

/** An application error handler that answers 500 without touching the error, as many apps do. */
function customErrorHandler(_error: unknown, _request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) return next();
  response.status(500).type('text/plain').send('custom failure');
}

test.before(async () => {
  instrumentControllers([InstrumentedJson, InstrumentedText]);
  hookNames.forEach((name, index) => instrumentControllers([hookControllers[index]], HOOKS[name]));
  const controllers = [InstrumentedJson, TwinJson, InstrumentedText, TwinText, ...hookControllers, TwinHooks];
  // Error answers over fetch's keep-alive pool: see closeEachConnection.
  defaultServer = await startServerWith({ controllers, development: false }, { closeConnections: true });
  customServer = await startServerWith({ controllers, development: false, defaultErrorHandler: false }, { closeConnections: true });
  // The Express app: the last request listener (closeEachConnection's comes first).
  (customServer.server.listeners('request').at(-1) as unknown as { use: Function }).use(customErrorHandler);
});

test.after.always(async () => {
  await defaultServer?.close();
  await customServer?.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

for (const [label, getServer] of [
  ['default error handler', () => defaultServer],
  ['an app error handler', () => customServer],
] as const) {
  for (const style of ['json', 'text'] as const) {
    for (const mode of ['sync', 'async'] as const) {
      for (const kind of Object.keys(THROWN)) {
        test.serial(`${label}, ${style} controller, ${mode} throw of ${kind}: the response is routing-controllers' own; one span`, async (t) => {
          const server = getServer();
          const twin = await outcome(server, `/t-${style}/${mode}/${kind}`);
          const instrumented = await outcome(server, `/i-${style}/${mode}/${kind}`);
          // Express's own 404 page names the path; the twin's path is the only difference allowed.
          t.deepEqual({ ...instrumented, body: instrumented.body.replace(`/i-${style}/`, `/t-${style}/`) }, twin);
          const spans = await finishedSpans(exporter, 1);
          assertOneSpanFor(t, spans, `drum.GET /i-${style}/${mode}/:kind`, twin);
          t.deepEqual(diagRecords.filter((record) => record.message.startsWith('drum-otel')), []);
        });
      }
    }
  }
}

hookNames.forEach((name, index) => {
  for (const path of ['/ok/', '/fail/']) {
    test.serial(`${name}, GET ${path}: the response is the twin's; the span ends exactly once`, async (t) => {
      const twin = await outcome(defaultServer, `/hook-twin${path}`);
      const instrumented = await outcome(defaultServer, `/hook${index}${path}`);
      t.deepEqual(instrumented, twin);
      t.deepEqual(instrumented.rejections, []);
      const spans = await finishedSpans(exporter, 1);
      const drum = drumSpans(spans);
      t.deepEqual(drum.map((span) => span.name), [`drum.GET /hook${index}${path}`]);
      t.is(drum[0].attributes['http.route'], `/hook${index}${path}`);
      if (HOOKS[name].requestHook !== endSpan) t.is(drum[0].attributes['http.response.status_code'], twin.status);
      const reported = diagRecords.filter((record) => record.level === 'error' && record.message.startsWith('drum-otel'));
      const expectsReport = !name.includes('ends the span') && !name.includes('invalid attribute values');
      t.is(reported.length > 0, expectsReport, JSON.stringify(diagRecords.map((record) => record.message)));
    });
  }
});
