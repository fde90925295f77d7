import 'reflect-metadata';
import test from 'ava';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '../helpers/sdk';
import { IsInt, IsString, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Context as KoaContext, Request as KoaRequest, Response as KoaResponse } from 'koa';
import {
  Authorized,
  Body,
  Get,
  HeaderParam,
  HttpCode,
  HttpError,
  JsonController,
  OnNull,
  OnUndefined,
  Param,
  Post,
  QueryParam,
  Req,
  Res,
  UseBefore,
  UseInterceptor,
  type Action,
  type ExpressMiddlewareInterface,
  type KoaMiddlewareInterface,
} from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from '../../src';
import { SERVER_DRIVERS, type RunningServer, type ServerDriver } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing, spanNamed } from '../helpers/tracing';

const { exporter } = registerTracing();
const diagRecords = captureDiag();
const tracer = trace.getTracer('test-handlers');

class PredictRequest {
  @IsString()
  model!: string;

  @IsInt()
  @Min(1)
  rows!: number;
}

class TeapotError extends HttpError {
  constructor() {
    super(418, 'I am a teapot');
  }
}

function requireApiKey(request: Request, response: Response, next: () => void): void {
  if (request.headers['x-api-key'] === 'let-me-in') next();
  else response.status(401).json({ message: 'missing api key' });
}

/** requireApiKey as a Koa middleware. */
async function requireKoaApiKey(ctx: KoaContext, next: () => Promise<unknown>): Promise<void> {
  if (ctx.get('x-api-key') === 'let-me-in') await next();
  else {
    ctx.status = 401;
    ctx.body = { message: 'missing api key' };
  }
}

class ApiKeyMiddleware implements ExpressMiddlewareInterface {
  use(request: Request, response: Response, next: () => void): void {
    requireApiKey(request, response, next);
  }
}

class KoaApiKeyMiddleware implements KoaMiddlewareInterface {
  use(ctx: KoaContext, next: () => Promise<unknown>): Promise<void> {
    return requireKoaApiKey(ctx, next);
  }
}

/**
 * The /slow/ action parks here until the test lets it go: the test aborts a request known to be in its action,
 * and knows when the action returned.
 */
class Parking {
  private arrive!: () => void;
  private leave!: () => void;
  private done!: () => void;
  readonly arrived = new Promise<void>((resolve) => (this.arrive = resolve));
  private readonly released = new Promise<void>((resolve) => (this.leave = resolve));
  readonly returned = new Promise<void>((resolve) => (this.done = resolve));

  async park(): Promise<void> {
    this.arrive();
    await this.released;
    this.done();
  }

  release(): void {
    this.leave();
  }
}

let parking = new Parking();

@JsonController()
@Traced()
class PredictionController {
  private readonly greeting = 'hello';

  @Post('/predict/')
  @Traced({ name: 'drum.invocations', attributes: { 'drum.kind': 'predict' } })
  async predict(@Body() body: PredictRequest) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    tracer.startActiveSpan('model.score', (span) => span.end());
    return { predictions: Array.from({ length: body.rows }, () => body.model), body: body instanceof PredictRequest };
  }

  @Get('/models/:id')
  model(@Param('id') id: number, @QueryParam('verbose') verbose: boolean, @HeaderParam('x-trace-me') header: string) {
    return { id, idType: typeof id, verbose, header, greeting: this.greeting };
  }

  @Post('/created/')
  @HttpCode(201)
  created() {
    return { created: true };
  }

  @Get('/null/')
  nothing() {
    return null;
  }

  @Get('/null-on/')
  @OnNull(202)
  nothingAccepted() {
    return null;
  }

  @Get('/undefined/')
  missing() {
    return undefined;
  }

  @Get('/undefined-on/')
  @OnUndefined(204)
  missingNoContent() {
    return undefined;
  }

  @Get('/teapot/')
  teapot() {
    throw new TeapotError();
  }

  @Get('/throws/')
  throws() {
    throw new TypeError('model exploded');
  }

  @Get('/rejects/')
  async rejects() {
    await new Promise((resolve) => setTimeout(resolve, 1));
    throw new RangeError('async failure');
  }

  @Get('/slow/')
  async slow() {
    await parking.park();
    return { slow: true };
  }

  @Get('/intercepted/')
  @UseInterceptor((_action: Action, result: { value: number }) => ({ value: result.value * 2 }))
  intercepted() {
    return { value: 21 };
  }

  @Get('/authorized/')
  @Authorized('admin')
  authorized() {
    return { ok: true };
  }

  @Get('/quiet/')
  @NoTrace()
  quiet() {
    tracer.startActiveSpan('inside.quiet', (span) => span.end());
    return { quiet: true };
  }
}

// The actions that use the driver's own request, response and middlewares, in each driver's form.

@JsonController()
@Traced()
class RawController {
  @Get('/raw/')
  raw(@Req() request: Request, @Res() response: Response) {
    response.status(203).json({ url: request.url });
    return response;
  }
}

@JsonController()
@Traced()
class KoaRawController {
  @Get('/raw/')
  raw(@Req() request: KoaRequest, @Res() response: KoaResponse) {
    response.status = 203;
    response.body = { url: request.url };
    return response;
  }
}

/** A controller at `route` behind `middleware`, a function or a middleware class of the driver serving it. */
function secureController(route: string, middleware: Function): Function {
  @JsonController(route)
  @UseBefore(middleware)
  class SecureController {
    @Get('/data/')
    data() {
      return { secret: false };
    }
  }
  return SecureController;
}

@NoTrace()
@JsonController()
class HealthController {
  @Get('/ping/')
  ping() {
    tracer.startActiveSpan('inside.ping', (span) => span.end());
    return { message: 'OK' };
  }

  @Get('/traced-health/')
  @Traced()
  tracedHealth() {
    return { message: 'OK' };
  }
}

const CONTROLLERS: Record<ServerDriver['name'], Function[]> = {
  Express: [
    PredictionController,
    RawController,
    secureController('/secure', requireApiKey),
    secureController('/secure-class', ApiKeyMiddleware),
    HealthController,
  ],
  Koa: [
    PredictionController,
    KoaRawController,
    secureController('/secure', requireKoaApiKey),
    secureController('/secure-class', KoaApiKeyMiddleware),
    HealthController,
  ],
};

const servers = new Map<ServerDriver['name'], RunningServer>();

test.before(async () => {
  const controllers = [...new Set(Object.values(CONTROLLERS).flat())];
  const same = instrumentControllers(controllers);
  if (same !== controllers) throw new Error('instrumentControllers must return its argument');
  instrumentControllers(controllers); // a second call must change nothing
  for (const driver of SERVER_DRIVERS) {
    servers.set(
      driver.name,
      await driver.start({
        controllers: CONTROLLERS[driver.name],
        authorizationChecker: (action: Action, roles: string[]) =>
          roles.includes('admin') && action.request.headers['x-role'] === 'admin',
      }),
    );
  }
});

test.after.always(async () => {
  for (const server of servers.values()) await server.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

/** The server of `driver`. */
function serverOf(driver: ServerDriver): RunningServer {
  const server = servers.get(driver.name);
  if (server === undefined) throw new Error(`no ${driver.name} server`);
  return server;
}

async function request(driver: ServerDriver, path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${serverOf(driver).url}${path}`, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json') && text !== '';
  return { status: response.status, body: json ? JSON.parse(text) : text };
}

function postJson(driver: ServerDriver, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return request(driver, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function drumSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.instrumentationScope.name === 'drum-otel');
}

const statusCases: { path: string; method?: string; status: number; headers?: Record<string, string> }[] = [
  { path: '/created/', method: 'POST', status: 201 },
  { path: '/null/', status: 204 },
  { path: '/null-on/', status: 202 },
  { path: '/undefined/', status: 404 },
  { path: '/undefined-on/', status: 204 },
  { path: '/teapot/', status: 418 },
  { path: '/raw/', status: 203 },
  { path: '/intercepted/', status: 200 },
  { path: '/authorized/', status: 403, headers: { 'x-role': 'guest' } },
  { path: '/authorized/', status: 200, headers: { 'x-role': 'admin' } },
  { path: '/secure/data/', status: 401 },
  { path: '/secure/data/', status: 200, headers: { 'x-api-key': 'let-me-in' } },
  { path: '/secure-class/data/', status: 401 },
  { path: '/secure-class/data/', status: 200, headers: { 'x-api-key': 'let-me-in' } },
];

// Every case runs on both drivers; Koa's routes have no trailing slash (driver.route: `/predict/` is `/predict`).
for (const driver of SERVER_DRIVERS) {
  test.serial(`${driver.name}: a traced action gets one SERVER span named by its @Traced name, with request and status attributes`, async (t) => {
    const response = await postJson(driver, '/predict/?sig=abc&x=1', { model: 'iris', rows: 2 }, {
      'X-DataRobot-Consumer-Id': 'user-42',
      'X-DataRobot-Consumer-Type': 'service',
    });
    t.deepEqual(response, { status: 200, body: { predictions: ['iris', 'iris'], body: true } });
    const spans = await finishedSpans(exporter, 2);
    t.is(spans.length, 2);
    const span = spanNamed(spans, 'drum.invocations');
    t.is(span.kind, SpanKind.SERVER);
    t.deepEqual(span.attributes, {
      'http.request.method': 'POST',
      'http.route': driver.route('/predict/'),
      'url.path': '/predict/',
      'url.query': 'sig=REDACTED&x=1',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(serverOf(driver).url).port),
      'client.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'node',
      'gen_ai.request.consumer_id': 'user-42',
      'gen_ai.request.consumer_type': 'service',
      'drum.kind': 'predict',
      'http.response.status_code': 200,
      'http.status_code': 200,
    });
    t.is(span.status.code, SpanStatusCode.UNSET);
    t.is(span.parentSpanContext, undefined);
    t.is(span.instrumentationScope.name, 'drum-otel');
  });

  test.serial(`${driver.name}: the span covers the whole async action, and spans started after an await are its children`, async (t) => {
    await postJson(driver, '/predict/', { model: 'iris', rows: 1 });
    const spans = await finishedSpans(exporter, 2);
    const server = spanNamed(spans, 'drum.invocations');
    const child = spanNamed(spans, 'model.score');
    t.is(child.spanContext().traceId, server.spanContext().traceId);
    t.is(child.parentSpanContext?.spanId, server.spanContext().spanId);
    // Ended after the child: the processor exports each span as it ends. Not by end times: each SDK span anchors
    // its clock to Date.now() when it starts, so two spans ending within a millisecond can read either way.
    t.true(spans.indexOf(child) < spans.indexOf(server));
    // Started 5 ms before the child (the action's await), far beyond that millisecond.
    t.true(hrTimeToNanos(server.startTime) <= hrTimeToNanos(child.startTime));
  });

  test.serial(`${driver.name}: the default name is drum.<METHOD> <route template>, never the raw URL; @Param/@QueryParam/@HeaderParam and this still work`, async (t) => {
    const response = await request(driver, '/models/17?verbose=true', { headers: { 'x-trace-me': 'yes' } });
    t.deepEqual(response.body, { id: 17, idType: 'number', verbose: true, header: 'yes', greeting: 'hello' });
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.name, 'drum.GET /models/:id');
    t.is(span.attributes['http.route'], '/models/:id');
    t.is(span.attributes['url.path'], '/models/17');
  });

  // Express and @koa/router both answer HEAD with a GET route.
  test.serial(`${driver.name}: a HEAD request served by a GET action is named with HEAD`, async (t) => {
    const response = await fetch(`${serverOf(driver).url}/models/9`, { method: 'HEAD' });
    t.is(response.status, 200);
    const spans = await finishedSpans(exporter, 1);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.request.method'], span.attributes['http.response.status_code']]), [
      ['drum.HEAD /models/:id', 'HEAD', 200],
    ]);
  });

  test.serial(`${driver.name}: class-validator rejects an invalid @Body() DTO with 400, and the span says 400 without ERROR`, async (t) => {
    const response = await postJson(driver, '/predict/', { model: 'iris', rows: 0 });
    t.is(response.status, 400);
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    t.is(spans[0].name, 'drum.invocations');
    t.is(spans[0].attributes['http.route'], driver.route('/predict/'));
    t.is(spans[0].attributes['http.response.status_code'], 400);
    t.is(spans[0].attributes['http.status_code'], 400);
    t.is(spans[0].status.code, SpanStatusCode.UNSET);
    t.is(spans[0].attributes['error.type'], undefined);
    t.deepEqual(spans[0].events, []);
  });

  for (const { path, method = 'GET', status, headers } of statusCases) {
    test.serial(`${driver.name}: ${method} ${path} ${JSON.stringify(headers ?? {})}: the span holds the ${status} the client received`, async (t) => {
      const response = await fetch(`${serverOf(driver).url}${path}`, { method, headers });
      await response.arrayBuffer();
      t.is(response.status, status);
      const spans = await finishedSpans(exporter, 1);
      t.is(spans.length, 1);
      t.is(spans[0].attributes['http.response.status_code'], status);
      t.is(spans[0].attributes['http.status_code'], status);
      t.is(spans[0].status.code, SpanStatusCode.UNSET);
      t.is(spans[0].name, `drum.${method} ${driver.route(path)}`);
      t.is(spans[0].attributes['http.route'], driver.route(path));
      t.is(spans[0].kind, SpanKind.SERVER);
    });
  }

  test.serial(`${driver.name}: an interceptor still transforms the result of a traced action`, async (t) => {
    t.deepEqual(await request(driver, '/intercepted/'), { status: 200, body: { value: 42 } });
  });

  test.serial(`${driver.name}: the raw action answers through the driver's own response`, async (t) => {
    t.deepEqual(await request(driver, '/raw/?q=1'), { status: 203, body: { url: '/raw/?q=1' } });
    t.deepEqual((await finishedSpans(exporter, 1)).map((span) => [span.name, span.attributes['http.response.status_code']]), [
      [`drum.GET ${driver.route('/raw/')}`, 203],
    ]);
  });

  test.serial(`${driver.name}: a @UseBefore middleware that rejects the request: its answer reaches the client and the span`, async (t) => {
    for (const path of ['/secure/data/', '/secure-class/data/']) {
      t.deepEqual(await request(driver, path), { status: 401, body: { message: 'missing api key' } });
    }
    const spans = await finishedSpans(exporter, 2);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['http.response.status_code']]), [
      [`drum.GET ${driver.route('/secure/data/')}`, driver.route('/secure/data/'), 401],
      [`drum.GET ${driver.route('/secure-class/data/')}`, driver.route('/secure-class/data/'), 401],
    ]);
  });

  for (const [path, errorType, message] of [
    ['/throws/', 'TypeError', 'model exploded'],
    ['/rejects/', 'RangeError', 'async failure'],
  ] as const) {
    test.serial(`${driver.name}: an exception from ${path} gives 500, ERROR status, error.type ${errorType} and one exception event`, async (t) => {
      const response = await request(driver, path);
      t.is(response.status, 500);
      const [span, ...others] = await finishedSpans(exporter, 1);
      t.deepEqual(others, []);
      t.is(span.name, `drum.GET ${driver.route(path)}`);
      t.is(span.attributes['http.response.status_code'], 500);
      t.is(span.attributes['error.type'], errorType);
      t.deepEqual(span.status, { code: SpanStatusCode.ERROR, message });
      t.is(span.events.length, 1);
      t.is(span.events[0].name, 'exception');
      t.is(span.events[0].attributes?.['exception.type'], errorType);
      t.is(span.events[0].attributes?.['exception.message'], message);
      t.regex(String(span.events[0].attributes?.['exception.stacktrace']), new RegExp(`^${errorType}: ${message}\\n\\s+at `));
    });
  }

  test.serial(`${driver.name}: @NoTrace() on a class: no span, and spans its code starts are not recorded`, async (t) => {
    t.deepEqual(await request(driver, '/ping/?probe=1'), { status: 200, body: { message: 'OK' } });
    t.deepEqual(await request(driver, '/ping/'), { status: 200, body: { message: 'OK' } });
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
  });

  test.serial(`${driver.name}: @NoTrace() on a method of a traced class: no span for it, nor for the spans its code starts`, async (t) => {
    t.deepEqual(await request(driver, '/quiet/'), { status: 200, body: { quiet: true } });
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
  });

  test.serial(`${driver.name}: @Traced() on a method beats its class's @NoTrace()`, async (t) => {
    await request(driver, '/traced-health/');
    const spans = await finishedSpans(exporter, 1);
    t.deepEqual(spans.map((span) => span.name), [`drum.GET ${driver.route('/traced-health/')}`]);
  });

  test.serial(`${driver.name}: a request that matches no action gets no drum span`, async (t) => {
    const response = await request(driver, '/no-such-route/');
    t.is(response.status, 404);
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
  });

  test.serial(`${driver.name}: the parent comes from a W3C traceparent header`, async (t) => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    await request(driver, '/models/1', { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.spanContext().traceId, traceId);
    t.is(span.parentSpanContext?.spanId, parentId);
    t.is(span.parentSpanContext?.isRemote, true);
    t.is(span.kind, SpanKind.SERVER);
  });

  test.serial(`${driver.name}: a malformed traceparent starts a new trace and the request is served`, async (t) => {
    const response = await request(driver, '/models/2', { headers: { traceparent: '00-zzzz-not-a-trace-01' } });
    t.is(response.status, 200);
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.parentSpanContext, undefined);
    t.regex(span.spanContext().traceId, /^[0-9a-f]{32}$/);
    t.not(span.spanContext().traceId, '0'.repeat(32));
  });

  test.serial(`${driver.name}: a client that aborts mid-request: the span ends exactly once, marked aborted, with no status code sent`, async (t) => {
    parking = new Parking();
    const controller = new AbortController();
    const pending = fetch(`${serverOf(driver).url}/slow/`, { signal: controller.signal });
    await parking.arrived;
    controller.abort();
    await t.throwsAsync(pending, { any: true, name: 'AbortError' });
    const assertAborted = (spans: readonly ReadableSpan[]) => {
      t.is(spans.length, 1);
      t.is(spans[0].name, `drum.GET ${driver.route('/slow/')}`);
      t.is(spans[0].attributes['drum.request.aborted'], true);
      t.is(spans[0].attributes['http.response.status_code'], undefined);
      t.is(spans[0].status.code, SpanStatusCode.UNSET);
    };
    assertAborted(await finishedSpans(exporter, 1));
    // The action returns after the client left: the driver's answer to nobody ends no second span.
    parking.release();
    await parking.returned;
    assertAborted(await finishedSpans(exporter, 2, 200));
  });

  test.serial(`${driver.name}: 200 concurrent requests each get their own span, attributes and children`, async (t) => {
    const count = 200;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        postJson(driver, '/predict/', { model: `m${index}`, rows: 1 }, { 'x-datarobot-consumer-id': `consumer-${index}` }),
      ),
    );
    t.true(responses.every((response, index) => JSON.stringify(response.body) === JSON.stringify({ predictions: [`m${index}`], body: true })));
    const spans = await finishedSpans(exporter, 2 * count);
    t.is(spans.length, 2 * count);
    const requestSpans = spans.filter((span) => span.name === 'drum.invocations');
    const children = spans.filter((span) => span.name === 'model.score');
    t.is(requestSpans.length, count);
    // Spans end in the order the requests finish, which a busy machine shuffles: compare sorted lists (ava compares
    // a Set's members in order), which are still exact: each consumer once, none missing, none extra.
    t.deepEqual(
      requestSpans.map((span) => String(span.attributes['gen_ai.request.consumer_id'])).sort(),
      Array.from({ length: count }, (_, index) => `consumer-${index}`).sort(),
    );
    const serverIds = new Set(requestSpans.map((span) => span.spanContext().spanId));
    const parentIds = children.map((span) => span.parentSpanContext?.spanId);
    t.is(new Set(parentIds).size, count);
    t.true(parentIds.every((id) => id !== undefined && serverIds.has(id)));
    t.deepEqual(drumSpans(spans).length, count);
  });

  test.serial(`${driver.name}: instrumenting twice gave one span per request, not two`, async (t) => {
    await request(driver, '/models/3');
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
  });

  test.serial(`${driver.name}: nothing was reported through diag on the normal paths`, async (t) => {
    await request(driver, '/models/4');
    await finishedSpans(exporter, 1);
    t.deepEqual(diagRecords, []);
  });
}

function hrTimeToNanos([seconds, nanos]: [number, number]): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}
