import 'reflect-metadata';
import test from 'ava';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '../helpers/sdk';
import type { NextFunction, Request, Response } from 'express';
import { Controller, Get, JsonController, Param } from 'routing-controllers';
import { instrumentControllers, type HookInfo, type InstrumentOptions } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { delay, drumSpans, startServerWith } from './support';

const { exporter } = registerTracing();
const diagRecords = captureDiag();

// routing-controllers itself turns some thrown values (null, an Error whose message getter throws, ...) into an
// unhandled rejection from its error handler and never answers. Those rejections are recorded and handled here,
// so each case can compare them between the instrumented controller and its uninstrumented twin.
const rejections: string[] = [];
let onRejection: (() => void) | undefined;
process.on('unhandledRejection', (reason, promise) => {
  rejections.push(describe(reason));
  promise.catch(() => {});
  onRejection?.();
});

/** Resolves at the next unhandled rejection: routing-controllers' sign that it will never answer. */
function nextRejection(): Promise<'rejected'> {
  return new Promise((resolve) => {
    onRejection = () => resolve('rejected');
  });
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? `${value.constructor.name}: ${value.message}` : `${typeof value} ${String(value)}`;
  } catch {
    return 'indescribable';
  }
}

const THROWN: Record<string, () => unknown> = {
  null: () => null,
  undefined: () => undefined,
  string: () => 'plain failure',
  number: () => 42,
  object: () => ({ code: 42, detail: 'not an Error' }),
  'object-with-httpCode': () => ({ httpCode: 503, message: 'unavailable' }),
  'circular-cause': () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    error.cause = error;
    return error;
  },
  'circular-cause-option': () => {
    const inner = new Error('inner');
    const outer = new Error('outer', { cause: inner });
    Object.defineProperty(inner, 'cause', { value: outer });
    return outer;
  },
  'message-getter-throws': () => {
    const error = new Error('hidden');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('message getter');
      },
    });
    return error;
  },
  'everything-throws': () =>
    new Proxy(new RangeError('proxy'), {
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
      get(_target, key) {
        if (key === 'then') return undefined;
        throw new Error(`get trap ${String(key)}`);
      },
    }),
};

function throwingController(base: string, json: boolean): Function {
  @(json ? JsonController(base) : Controller(base))
  class ThrowingController {
    @Get('/sync/:kind')
    sync(@Param('kind') kind: string) {
      throw THROWN[kind]();
    }

    @Get('/async/:kind')
    async async(@Param('kind') kind: string) {
      await delay(1);
      throw THROWN[kind]();
    }
  }
  return ThrowingController;
}

function hookController(base: string): Function {
  @JsonController(base)
  class HookController {
    @Get('/ok/')
    ok() {
      return { ok: true };
    }

    @Get('/fail/')
    fail() {
      throw new TypeError('model exploded');
    }
  }
  return HookController;
}

const hostileGetter = () =>
  Object.defineProperty({ 'tenant.before': 'a' }, 'tenant.bad', {
    enumerable: true,
    get() {
      throw new Error('attribute getter');
    },
  });
const hostileKeys = () =>
  new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('ownKeys trap');
      },
    },
  );
const endSpan = ({ span }: HookInfo) => span.end();

const HOOKS: Record<string, InstrumentOptions> = {
  'headerAttributes returning an object with a throwing getter': { headerAttributes: hostileGetter as never },
  'headerAttributes returning a proxy whose ownKeys throws': { headerAttributes: hostileKeys as never },
  'headerAttributes that is async and rejects': { headerAttributes: (async () => Promise.reject(new Error('async attributes'))) as never },
  'headerAttributes returning an array': { headerAttributes: (() => ['a', 'b']) as never },
  'headerAttributes returning invalid attribute values': { headerAttributes: (() => ({ nested: { a: 1 }, fn: () => 1, ok: 'yes' })) as never },
  'headerAttributes returning a symbol': { headerAttributes: (() => Symbol('nope')) as never },
  'headerAttributes throwing null': {
    headerAttributes: () => {
      throw null;
    },
  },
  'requestHook that is async and rejects': { requestHook: (async () => Promise.reject(new Error('async request hook'))) as never },
  'requestHook that ends the span itself': { requestHook: endSpan },
  'requestHook throwing null': {
    requestHook: () => {
      throw null;
    },
  },
  'responseHook that is async and rejects': { responseHook: (async () => Promise.reject(new Error('async response hook'))) as never },
  'responseHook that ends the span itself': { responseHook: endSpan },
  'responseHook throwing a hostile proxy': {
    responseHook: () => {
      throw THROWN['everything-throws']();
    },
  },
};

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

interface Outcome {
  status: number | 'no response';
  contentType: string | null;
  body: string;
  rejections: string[];
}

/**
 * What a client sees for `path`, and the rejections it caused. A request that ends in an unhandled rejection
 * before any response is one routing-controllers never answers: the client gives up then.
 */
async function outcome(server: RunningServer, path: string): Promise<Outcome> {
  const before = rejections.length;
  const abort = new AbortController();
  const rejected = nextRejection();
  let result: Omit<Outcome, 'rejections'>;
  try {
    const response = await Promise.race([fetch(`${server.url}${path}`, { signal: abort.signal }), rejected]);
    if (response === 'rejected') throw new Error('no response');
    const body = await response.text().catch((error: Error) => `<body failed: ${error.name}>`);
    result = { status: response.status, contentType: response.headers.get('content-type'), body };
  } catch (error) {
    abort.abort();
    result = { status: 'no response', contentType: null, body: (error as Error).name };
  }
  // The server handled the request in this process: a rejection it caused has been reported by now.
  await new Promise((resolve) => setImmediate(resolve));
  return { ...result, rejections: rejections.slice(before) };
}

function assertOneSpanFor(t: { is: Function; deepEqual: Function }, spans: readonly ReadableSpan[], name: string, expected: Outcome): ReadableSpan {
  const drum = drumSpans(spans);
  t.deepEqual(drum.map((span) => span.name), [name]);
  const [span] = drum;
  if (expected.status === 'no response') {
    t.is(span.attributes['http.response.status_code'], undefined);
    t.is(span.attributes['drum.request.aborted'], true);
  } else {
    t.is(span.attributes['http.response.status_code'], expected.status);
    t.is(span.attributes['drum.request.aborted'], undefined);
    t.is(span.status.code, expected.status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
  }
  return span;
}

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
