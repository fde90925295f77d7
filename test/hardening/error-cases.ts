import { SpanStatusCode } from '@opentelemetry/api';
import { Controller, Get, JsonController, Param } from 'routing-controllers';
import type { HookInfo, InstrumentOptions } from '../../src';
import type { ReadableSpan } from '../helpers/sdk';
import type { RunningServer } from '../helpers/server';
import { delay, drumSpans } from './support';

// The thrown values, hooks and controllers of the error hardening tests (errors.test.ts, on Express and on Koa),
// and how a case's outcome is observed.

// routing-controllers itself turns some thrown values (null, an Error whose message getter throws, ...) into an
// unhandled rejection from its error handler and never answers. Those rejections are recorded and handled here,
// so each case can compare them between the instrumented controller and its uninstrumented twin.
const rejections: string[] = [];
let onRejection: (() => void) | undefined;

/** Records and handles this process's unhandled rejections, for `outcome`; call once per test file. */
export function trackRejections(): void {
  process.on('unhandledRejection', (reason, promise) => {
    rejections.push(describe(reason));
    promise.catch(() => {});
    onRejection?.();
  });
}

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

export const THROWN: Record<string, () => unknown> = {
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

export function throwingController(base: string, json: boolean): Function {
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

export function hookController(base: string): Function {
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
export const endSpan = ({ span }: HookInfo) => span.end();

export const HOOKS: Record<string, InstrumentOptions> = {
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

export interface Outcome {
  status: number | 'no response';
  contentType: string | null;
  body: string;
  rejections: string[];
}

/**
 * What a client sees for `path`, and the rejections it caused. A request that ends in an unhandled rejection
 * before any response is one routing-controllers never answers: the client gives up then, or when
 * `unanswered` (the server's own sign that it is done with the request and sent nothing) resolves.
 */
export async function outcome(server: RunningServer, path: string, unanswered?: Promise<unknown>): Promise<Outcome> {
  const before = rejections.length;
  const abort = new AbortController();
  const rejected = unanswered === undefined ? nextRejection() : Promise.race([nextRejection(), unanswered.then(() => 'rejected' as const)]);
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

export function assertOneSpanFor(t: { is: Function; deepEqual: Function }, spans: readonly ReadableSpan[], name: string, expected: Outcome): ReadableSpan {
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

