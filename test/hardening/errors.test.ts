import 'reflect-metadata';
import test from 'ava';
import { SpanStatusCode } from '@opentelemetry/api';
import { IsInt, Min } from 'class-validator';
import type { NextFunction, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import { Body, Get, HttpError, JsonController, Post } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { koaRoute, type RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { assertOneSpanFor, endSpan, hookController, HOOKS, outcome, throwingController, THROWN, trackRejections, type Outcome } from './error-cases';
import { delay, DRIVERS, drumSpans, startKoaServerWith, startServerWith, type HardeningDriver, type KoaOutermost } from './support';

// Each case runs on routing-controllers' Express and Koa drivers, each with two servers: routing-controllers'
// default error handler, and `defaultErrorHandler: false`. There an error goes on to Express's next error
// handler (the app's own, below), or escapes to Koa, which answers it itself: `err.status` or 500, as text (so
// an HttpError, which has an `httpCode` and no `status`, is a 500). Koa ignores a thrown null or undefined and
// never answers.

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

class Rows {
  @IsInt()
  @Min(1)
  count!: number;
}

/** The Koa-only cases' actions. */
@JsonController('/x')
class ExceptionController {
  @Get('/throws/')
  throws() {
    throw new TypeError('model exploded');
  }

  @Get('/rejects/')
  async rejects() {
    await delay(1);
    throw new RangeError('async failure');
  }

  @Get('/teapot/')
  teapot() {
    throw new HttpError(418, 'short and stout');
  }

  @Post('/rows/')
  rows(@Body() body: Rows) {
    return { count: body.count };
  }
}

const controllers = [InstrumentedJson, TwinJson, InstrumentedText, TwinText, ...hookControllers, TwinHooks];

/** An application error handler that answers 500 without touching the error, as many apps do. */
function customErrorHandler(_error: unknown, _request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) return next();
  response.status(500).type('text/plain').send('custom failure');
}

/** The responses Koa's chain settled without sending, by path: the requests it will never answer. */
const unansweredWaiters = new Map<string, () => void>();

/** Tells `outcome` when Koa is done with a request and sent nothing (it ignores a thrown null or undefined). */
const noticeUnanswered: KoaOutermost = async (ctx, next) => {
  try {
    await next();
  } finally {
    const response: ServerResponse = ctx.res;
    // Koa answers an error right after the chain rejects; one turn later, a request it answered has been written.
    setImmediate(() => {
      if (!response.headersSent) unansweredWaiters.get(ctx.path)?.();
    });
  }
};

function unanswered(path: string): Promise<void> {
  return new Promise((resolve) => unansweredWaiters.set(path, resolve));
}

interface DriverSetup {
  /** The driver's two servers: routing-controllers' default error handler, then `defaultErrorHandler: false`. */
  servers: readonly [label: string, start: () => Promise<RunningServer>][];
  /** What a client sees for a GET of `path`: on Koa, which says itself when it will not answer. */
  outcome(server: RunningServer, path: string): Promise<Outcome>;
  /** A response body as its uninstrumented twin (under `twinBase`) would have it. */
  asTwin(body: string, base: string, twinBase: string): string;
}

const SETUP: Record<HardeningDriver['name'], DriverSetup> = {
  Express: {
    servers: [
      // Error answers over fetch's keep-alive pool: see closeEachConnection.
      ['default error handler', () => startServerWith({ controllers, development: false }, { closeConnections: true })],
      [
        'an app error handler',
        async () => {
          const server = await startServerWith({ controllers, development: false, defaultErrorHandler: false }, { closeConnections: true });
          // The Express app: the last request listener (closeEachConnection's comes first).
          (server.server.listeners('request').at(-1) as unknown as { use: Function }).use(customErrorHandler);
          return server;
        },
      ],
    ],
    outcome: (server, path) => outcome(server, path),
    // Express's own 404 page names the path; the twin's path is the only difference allowed.
    asTwin: (body, base, twinBase) => body.replace(base, twinBase),
  },
  Koa: {
    servers: [
      [
        'default error handler',
        () => startKoaServerWith({ controllers: [...controllers, ExceptionController], development: false, validation: true }, { outermost: noticeUnanswered }),
      ],
      [
        "Koa's own error answer",
        () =>
          startKoaServerWith(
            { controllers: [...controllers, ExceptionController], development: false, validation: true, defaultErrorHandler: false },
            { outermost: noticeUnanswered },
          ),
      ],
    ],
    outcome: (server, path) => outcome(server, path, unanswered(path)),
    asTwin: (body) => body,
  },
};

/** The running servers, by driver, in the order of its `servers`. */
const running = new Map<HardeningDriver['name'], RunningServer[]>();

test.before(async () => {
  instrumentControllers([InstrumentedJson, InstrumentedText, ExceptionController]);
  hookNames.forEach((name, index) => instrumentControllers([hookControllers[index]], HOOKS[name]));
  for (const driver of DRIVERS) {
    const servers: RunningServer[] = [];
    for (const [, start] of SETUP[driver.name].servers) servers.push(await start());
    running.set(driver.name, servers);
  }
});

test.after.always(async () => {
  for (const servers of running.values()) for (const server of servers) await server.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
  unansweredWaiters.clear();
});

for (const driver of DRIVERS) {
  const setup = SETUP[driver.name];
  const defaultServer = () => running.get(driver.name)![0];

  setup.servers.forEach(([label], serverIndex) => {
    for (const style of ['json', 'text'] as const) {
      for (const mode of ['sync', 'async'] as const) {
        for (const kind of Object.keys(THROWN)) {
          test.serial(`${driver.name}: ${label}, ${style} controller, ${mode} throw of ${kind}: the response is the uninstrumented twin's; one span`, async (t) => {
            const server = running.get(driver.name)![serverIndex];
            const twin = await setup.outcome(server, `/t-${style}/${mode}/${kind}`);
            const instrumented = await setup.outcome(server, `/i-${style}/${mode}/${kind}`);
            t.deepEqual({ ...instrumented, body: setup.asTwin(instrumented.body, `/i-${style}/`, `/t-${style}/`) }, twin);
            const spans = await finishedSpans(exporter, 1);
            assertOneSpanFor(t, spans, `drum.GET /i-${style}/${mode}/:kind`, twin);
            t.deepEqual(diagRecords.filter((record) => record.message.startsWith('drum-otel')), []);
          });
        }
      }
    }
  });

  hookNames.forEach((name, index) => {
    for (const path of ['/ok/', '/fail/']) {
      test.serial(`${driver.name}: ${name}, GET ${path}: the response is the twin's; the span ends exactly once`, async (t) => {
        const twin = await setup.outcome(defaultServer(), `/hook-twin${path}`);
        const instrumented = await setup.outcome(defaultServer(), `/hook${index}${path}`);
        t.deepEqual(instrumented, twin);
        t.deepEqual(instrumented.rejections, []);
        t.is(twin.status, path === '/ok/' ? 200 : 500);
        const spans = await finishedSpans(exporter, 1);
        const drum = drumSpans(spans);
        t.deepEqual(drum.map((span) => span.name), [`drum.GET /hook${index}${driver.route(path)}`]);
        t.is(drum[0].attributes['http.route'], `/hook${index}${driver.route(path)}`);
        if (HOOKS[name].requestHook !== endSpan) t.is(drum[0].attributes['http.response.status_code'], twin.status);
        const reported = diagRecords.filter((record) => record.level === 'error' && record.message.startsWith('drum-otel'));
        const expectsReport = !name.includes('ends the span') && !name.includes('invalid attribute values');
        t.is(reported.length > 0, expectsReport, JSON.stringify(diagRecords.map((record) => record.message)));
      });
    }
  });
}

// Koa only: what its two servers answer, exactly. Koa's own answer is `err.status` or 500, the text of that status.
const koaDefaultServer = () => running.get('Koa')![0];
const koaServer = () => running.get('Koa')![1];

test.serial("Koa: Koa's own error answer for a throw of null is none: the client gives up, the span is aborted", async (t) => {
  t.deepEqual(await SETUP.Koa.outcome(koaServer(), '/i-json/sync/null'), { status: 'no response', contentType: null, body: 'Error', rejections: [] });
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.is(span.attributes['drum.request.aborted'], true);
  t.is(span.attributes['http.response.status_code'], undefined);
});

for (const [label, getServer, body] of [
  ['default error handler', koaDefaultServer, undefined],
  ["Koa's own error answer", koaServer, 'Internal Server Error'],
] as const) {
  for (const [path, errorType, message] of [
    ['/x/throws/', 'TypeError', 'model exploded'],
    ['/x/rejects/', 'RangeError', 'async failure'],
  ] as const) {
    test.serial(`Koa: ${label}: an exception from ${path} gives 500, ERROR status, error.type ${errorType} and one exception event`, async (t) => {
      const response = await fetch(`${getServer().url}${path}`);
      const text = await response.text();
      t.is(response.status, 500);
      if (body !== undefined) t.is(text, body);
      const [span, ...others] = await finishedSpans(exporter, 1);
      t.deepEqual(others, []);
      t.is(span.name, `drum.GET ${koaRoute(path)}`);
      t.is(span.attributes['http.route'], koaRoute(path));
      t.is(span.attributes['http.response.status_code'], 500);
      t.is(span.attributes['error.type'], errorType);
      t.deepEqual(span.status, { code: SpanStatusCode.ERROR, message });
      t.deepEqual(
        span.events.map((event) => [event.name, event.attributes?.['exception.type'], event.attributes?.['exception.message']]),
        [['exception', errorType, message]],
      );
      t.regex(String(span.events[0].attributes?.['exception.stacktrace']), new RegExp(`^${errorType}: ${message}\\n\\s+at `));
    });
  }
}

test.serial('Koa: default error handler: an HttpError answers its code; the span has it, UNSET, no exception event', async (t) => {
  const response = await fetch(`${koaDefaultServer().url}/x/teapot/`);
  t.is(response.status, 418);
  t.like(await response.json(), { name: 'HttpError', message: 'short and stout' });
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.is(span.name, 'drum.GET /x/teapot');
  t.is(span.attributes['http.response.status_code'], 418);
  t.is(span.attributes['error.type'], undefined);
  t.is(span.status.code, SpanStatusCode.UNSET);
  t.deepEqual(span.events, []);
});

test.serial("Koa: Koa's own error answer: an HttpError has no status for Koa, so it is Koa's 500, and the span says 500 with the exception", async (t) => {
  const response = await fetch(`${koaServer().url}/x/teapot/`);
  t.deepEqual([response.status, await response.text()], [500, 'Internal Server Error']);
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.is(span.name, 'drum.GET /x/teapot');
  t.is(span.attributes['http.response.status_code'], 500);
  t.is(span.attributes['error.type'], 'HttpError');
  t.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'short and stout' });
  t.deepEqual(span.events.map((event) => [event.name, event.attributes?.['exception.type']]), [['exception', 'HttpError']]);
});

const postRows = (server: RunningServer, body: unknown) =>
  fetch(`${server.url}/x/rows/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test.serial('Koa: default error handler: a body that fails validation is a 400 with the errors; the span has 400, UNSET, no event', async (t) => {
  const response = await postRows(koaDefaultServer(), { count: 0 });
  t.is(response.status, 400);
  const answer = (await response.json()) as { name: string; errors: { property: string }[] };
  t.is(answer.name, 'BadRequestError');
  t.deepEqual(answer.errors.map((error) => error.property), ['count']);
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.is(span.name, 'drum.POST /x/rows');
  t.is(span.attributes['http.route'], '/x/rows');
  t.is(span.attributes['http.response.status_code'], 400);
  t.is(span.status.code, SpanStatusCode.UNSET);
  t.deepEqual(span.events, []);
});

test.serial('Koa: default error handler: a valid body is served; the span has 200', async (t) => {
  const response = await postRows(koaDefaultServer(), { count: 3 });
  t.deepEqual([response.status, await response.json()], [200, { count: 3 }]);
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.deepEqual([span.name, span.attributes['http.response.status_code'], span.status.code], ['drum.POST /x/rows', 200, SpanStatusCode.UNSET]);
});

test.serial("Koa: Koa's own error answer: a body that fails validation is Koa's 500; the span says 500", async (t) => {
  const response = await postRows(koaServer(), { count: 0 });
  t.deepEqual([response.status, await response.text()], [500, 'Internal Server Error']);
  const [span, ...others] = await finishedSpans(exporter, 1);
  t.deepEqual(others, []);
  t.is(span.name, 'drum.POST /x/rows');
  t.is(span.attributes['http.response.status_code'], 500);
  t.is(span.status.code, SpanStatusCode.ERROR);
});
