import 'reflect-metadata';
import test from 'ava';
import { SpanKind, trace } from '@opentelemetry/api';
import { AlwaysOffSampler, createTracerProvider } from '../helpers/sdk';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Request as KoaRequest } from 'koa';
import {
  All,
  Body,
  Controller,
  createExpressServer,
  createKoaServer,
  Get,
  JsonController,
  Param,
  Post,
  Req,
  type RoutingControllersOptions,
} from 'routing-controllers';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { instrumentControllers, NoTrace, Traced, type HookInfo, type InstrumentOptions } from '../../src';
import { serve, SERVER_DRIVERS, type ServerDriver } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';

const { exporter } = registerTracing();
const diagRecords = captureDiag();

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

/** A routing-controllers app of `driver` as Node's request listener (for a server of the test's own). */
function requestListener(driver: ServerDriver, options: RoutingControllersOptions): RequestListener {
  if (driver.name === 'Express') return createExpressServer(options);
  return (createKoaServer(options) as { callback(): RequestListener }).callback();
}

/** Instruments `controllers` with `options`, serves them with `routing`, sends one request, returns its spans. */
async function oneRequest(
  driver: ServerDriver,
  controllers: Function[],
  options: InstrumentOptions,
  path: string,
  init: RequestInit = {},
  routing: { routePrefix?: string } = {},
) {
  instrumentControllers(controllers, options);
  const server = await driver.start({ controllers, ...routing });
  try {
    const response = await fetch(`${server.url}${path}`, init);
    const body = await response.text();
    return { status: response.status, body, spans: await finishedSpans(exporter, 1, 2000), port: Number(new URL(server.url).port) };
  } finally {
    await server.close();
  }
}

// Every case runs on both drivers; Koa's routes have no trailing slash (driver.route: `/predict/` is `/predict`).
for (const driver of SERVER_DRIVERS) {
  test.serial(`${driver.name}: the route prefix given to routing-controllers only is part of the span name and http.route`, async (t) => {
    @JsonController('/models')
    class PrefixedController {
      @Get('/:id/versions/:version')
      version() {
        return { ok: true };
      }
    }
    const { status, spans } = await oneRequest(driver, [PrefixedController], {}, '/api/models/7/versions/2', {}, { routePrefix: '/api' });
    t.is(status, 200);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['url.path']]), [
      ['drum.GET /api/models/:id/versions/:version', '/api/models/:id/versions/:version', '/api/models/7/versions/2'],
    ]);
    t.deepEqual(diagRecords, []);
  });

  test.serial(`${driver.name}: a prefix without a slash is applied as routing-controllers applies it`, async (t) => {
    @JsonController()
    class BareController {
      @Post('/predict/')
      predict() {
        return { ok: true };
      }
    }
    const { status, spans } = await oneRequest(driver, [BareController], {}, '/api/predict/', { method: 'POST' }, { routePrefix: 'api' });
    t.is(status, 200);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [[`drum.POST ${driver.route('/api/predict/')}`, driver.route('/api/predict/')]]);
  });

  test.serial(`${driver.name}: the routePrefix option is not needed, and one that differs from routing-controllers' changes nothing`, async (t) => {
    @JsonController()
    class MismatchController {
      @Get('/mismatch/')
      get() {
        return { ok: true };
      }
    }
    const { status, spans } = await oneRequest(driver, [MismatchController], { routePrefix: '/v1' }, '/v2/mismatch/', {}, { routePrefix: '/v2' });
    t.is(status, 200);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [[`drum.GET ${driver.route('/v2/mismatch/')}`, driver.route('/v2/mismatch/')]]);
    t.deepEqual(diagRecords, []);
  });

  test.serial(`${driver.name}: the routePrefix option decides between two actions whose routes end alike under the prefix`, async (t) => {
    const define = () => {
      @JsonController()
      class AlikeController {
        @Post('/predict/')
        predict() {
          return 'short';
        }

        @Post('/api/predict/')
        apiPredict() {
          return 'long';
        }
      }
      return AlikeController;
    };
    const hinted = await oneRequest(driver, [define()], { routePrefix: '/api' }, '/api/predict/', { method: 'POST' }, { routePrefix: '/api' });
    // A string a @JsonController returns: Express sends it as JSON, Koa as text.
    const answer = (text: string) => (driver.name === 'Express' ? JSON.stringify(text) : text);
    t.is(hinted.body, answer('short'));
    t.deepEqual(hinted.spans.map((span) => span.name), [`drum.POST ${driver.route('/api/predict/')}`]);
    exporter.reset();
    const unhinted = await oneRequest(driver, [define()], {}, '/api/api/predict/', { method: 'POST' }, { routePrefix: '/api' });
    t.is(unhinted.body, answer('long'));
    t.deepEqual(unhinted.spans.map((span) => span.name), [`drum.POST ${driver.route('/api/api/predict/')}`]);
  });

  test.serial(`${driver.name}: spanNamePrefix replaces drum in the default name`, async (t) => {
    @Controller()
    class PrefixNameController {
      @Post('/score')
      score() {
        return 'scored';
      }
    }
    const { body, spans } = await oneRequest(driver, [PrefixNameController], { spanNamePrefix: 'model' }, '/score', { method: 'POST' });
    t.is(body, 'scored');
    t.deepEqual(spans.map((span) => span.name), ['model.POST /score']);
  });

  test.serial(`${driver.name}: an empty spanNamePrefix gives the HTTP conventions' name, METHOD and route`, async (t) => {
    @Controller('/orders')
    class OrdersController {
      @Get('/:id')
      order(@Param('id') id: string) {
        return `order ${id}`;
      }

      @Post('/')
      @Traced('orders.create')
      create() {
        return 'created';
      }
    }
    const { body, spans } = await oneRequest(driver, [OrdersController], { spanNamePrefix: '' }, '/orders/7', {});
    t.is(body, 'order 7');
    t.deepEqual(spans.map((span) => [span.name, span.attributes[ATTR_HTTP_ROUTE]]), [['GET /orders/:id', '/orders/:id']]);
    exporter.reset();
    const named = await oneRequest(driver, [OrdersController], { spanNamePrefix: '' }, '/orders/', { method: 'POST' });
    t.deepEqual(named.spans.map((span) => [span.name, span.attributes[ATTR_HTTP_ROUTE]]), [['orders.create', driver.route('/orders/')]]);
  });

  test.serial(`${driver.name}: traceUndecorated: false leaves undecorated actions untraced but keeps @Traced ones`, async (t) => {
    @JsonController()
    class MixedController {
      @Get('/plain/')
      plain() {
        return {};
      }

      @Get('/marked/')
      @Traced()
      marked() {
        return {};
      }
    }
    const plain = await oneRequest(driver, [MixedController], { traceUndecorated: false }, '/plain/');
    t.deepEqual(plain.spans, []);
    const server = await driver.start({ controllers: [MixedController] });
    try {
      await fetch(`${server.url}/marked/`).then((response) => response.text());
      t.deepEqual((await finishedSpans(exporter, 1)).map((span) => span.name), [`drum.GET ${driver.route('/marked/')}`]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: an undecorated action in an undecorated class is traced by default`, async (t) => {
    @JsonController()
    class UndecoratedController {
      @Get('/undecorated/')
      get() {
        return {};
      }
    }
    const { spans } = await oneRequest(driver, [UndecoratedController], {}, '/undecorated/');
    t.deepEqual(spans.map((span) => [span.name, span.kind]), [[`drum.GET ${driver.route('/undecorated/')}`, SpanKind.SERVER]]);
  });

  test.serial(`${driver.name}: captureRequestHeaders records listed headers as string[] and redacts credentials`, async (t) => {
    @JsonController()
    class CaptureController {
      @Get('/capture/')
      get() {
        return {};
      }
    }
    const { spans } = await oneRequest(
      driver,
      [CaptureController],
      { captureRequestHeaders: ['X-Request-Id', 'authorization', 'x-session-token', 'cookie', 'x-absent', 'x-api-key'] },
      '/capture/',
      {
        headers: {
          'x-request-id': 'req-1',
          authorization: 'Bearer sk-live-123',
          'x-session-token': 'tok-456',
          cookie: 'session=abc',
          'x-api-key': 'key-789',
        },
      },
    );
    const captured = Object.fromEntries(Object.entries(spans[0].attributes).filter(([key]) => key.startsWith('http.request.header.')));
    t.deepEqual(captured, {
      'http.request.header.x-request-id': ['req-1'],
      'http.request.header.authorization': ['[REDACTED]'],
      'http.request.header.x-session-token': ['[REDACTED]'],
      'http.request.header.cookie': ['[REDACTED]'],
      'http.request.header.x-api-key': ['[REDACTED]'],
    });
    const everything = JSON.stringify([spans[0].name, spans[0].attributes, spans[0].events]);
    for (const secret of ['sk-live-123', 'tok-456', 'session=abc', 'key-789']) t.false(everything.includes(secret), secret);
  });

  test.serial(`${driver.name}: headerAttributes replaces the identity headers; requestHook and responseHook get one info object`, async (t) => {
    // The request as the action gets it: Express's request is Node's; Koa's wraps Node's (`ctx.request.req`).
    let actionRequest: unknown;
    @JsonController()
    class HookController {
      @Get('/hooks/')
      get(@Req() request: unknown) {
        actionRequest = request;
        return {};
      }
    }
    const seen: string[] = [];
    const infos: HookInfo[] = [];
    const { spans } = await oneRequest(
      driver,
      [HookController],
      {
        headerAttributes: (headers) => ({ 'tenant.id': String(headers['x-tenant']) }),
        requestHook: (info) => {
          infos.push(info);
          seen.push(`request ${info.request.url} ${info.action.controller.name}.${info.action.method} ${info.action.route}`);
          info.span.setAttribute('hook.request', true);
        },
        responseHook: (info) => {
          infos.push(info);
          seen.push(`response ${info.response.statusCode}`);
          info.span.setAttribute('hook.response', info.response.statusCode);
        },
      },
      '/api/hooks/?a=1',
      { headers: { 'x-tenant': 'acme', 'x-datarobot-consumer-id': 'not-used' } },
      { routePrefix: '/api' },
    );
    t.deepEqual(seen, [`request /api/hooks/?a=1 HookController.get ${driver.route('/api/hooks/')}`, 'response 200']);
    t.is(infos[0], infos[1], 'both hooks get the same object');
    t.is(infos[0].response.req, infos[0].request);
    if (driver.name === 'Koa') {
      const { ctx } = actionRequest as KoaRequest;
      t.is(infos[0].request, ctx.req);
      t.is(infos[0].response, ctx.res);
    } else {
      t.is(infos[0].request, actionRequest as IncomingMessage);
    }
    t.is(spans[0].attributes['tenant.id'], 'acme');
    t.is(spans[0].attributes['gen_ai.request.consumer_id'], undefined);
    t.is(spans[0].attributes['hook.request'], true);
    t.is(spans[0].attributes['hook.response'], 200);
  });

  test.serial(`${driver.name}: a request the sampler drops still reaches responseHook, and spans started by its action are dropped with it`, async (t) => {
    @JsonController()
    class DroppedController {
      @Get('/dropped/')
      get() {
        // The global provider samples by parent: a child of the dropped request span is dropped too.
        trace.getTracer('test-dropped').startActiveSpan('child', (span) => span.end());
        return { dropped: true };
      }
    }
    let responded: (line: string) => void = () => {};
    const hookSaw = new Promise<string>((resolve) => (responded = resolve));
    let headerAttributesCalls = 0;
    const { status, spans } = await oneRequest(
      driver,
      [DroppedController],
      {
        tracerProvider: createTracerProvider({ sampler: new AlwaysOffSampler() }),
        responseHook: ({ span, response }) => responded(`${response.statusCode} recording=${span.isRecording()}`),
        // DRUM's own attributes are computed for spans that record only.
        headerAttributes: () => ({ calls: ++headerAttributesCalls }),
      },
      '/dropped/',
    );
    t.is(status, 200);
    t.is(await hookSaw, '200 recording=false');
    t.deepEqual(spans, []);
    t.is(headerAttributesCalls, 0);
    t.deepEqual(diagRecords, []);
  });

  test.serial(`${driver.name}: hooks and headerAttributes that throw are reported through diag; the request and span are unharmed`, async (t) => {
    @JsonController()
    class ThrowingHookController {
      @Get('/throwing-hooks/')
      get() {
        return { fine: true };
      }
    }
    const { status, body, spans } = await oneRequest(
      driver,
      [ThrowingHookController],
      {
        headerAttributes: () => {
          throw new Error('header boom');
        },
        requestHook: () => {
          throw new Error('request boom');
        },
        responseHook: () => {
          throw new Error('response boom');
        },
      },
      '/throwing-hooks/',
    );
    t.is(status, 200);
    t.is(body, '{"fine":true}');
    t.is(spans.length, 1);
    t.is(spans[0].attributes['http.response.status_code'], 200);
    t.deepEqual(
      diagRecords.map((record) => [record.level, record.message, (record.args[0] as Error).message]),
      [
        ['error', 'drum-otel: headerAttributes of ThrowingHookController.get threw; the request goes on', 'header boom'],
        ['error', 'drum-otel: requestHook of ThrowingHookController.get threw; the request goes on', 'request boom'],
        ['error', 'drum-otel: responseHook of ThrowingHookController.get threw; the request goes on', 'response boom'],
      ],
    );
  });

  test.serial(`${driver.name}: headerAttributes returning a non-object is reported and ignored`, async (t) => {
    @JsonController()
    class GarbageController {
      @Get('/garbage/')
      get() {
        return {};
      }
    }
    const { status, spans } = await oneRequest(driver, [GarbageController], { headerAttributes: () => 42 as never }, '/garbage/');
    t.is(status, 200);
    t.is(spans[0].attributes['http.route'], driver.route('/garbage/'));
    t.deepEqual(diagRecords.map((record) => record.message), ['drum-otel: headerAttributes returned 42, not an object; ignored']);
  });

  test.serial(`${driver.name}: decorators on a base class apply to the actions a subclass inherits`, async (t) => {
    @Traced({ attributes: { 'drum.layer': 'base' } })
    class BaseController {
      @Get('/inherited/')
      inherited() {
        return { from: 'base' };
      }

      @Get('/inherited-quiet/')
      @NoTrace()
      quiet() {
        return { from: 'base' };
      }
    }
    @JsonController()
    class ChildController extends BaseController {}

    instrumentControllers([ChildController]);
    const server = await driver.start({ controllers: [ChildController] });
    try {
      t.is(await fetch(`${server.url}/inherited/`).then((response) => response.text()), '{"from":"base"}');
      t.is(await fetch(`${server.url}/inherited-quiet/`).then((response) => response.text()), '{"from":"base"}');
      const spans = await finishedSpans(exporter, 1);
      t.deepEqual(spans.map((span) => [span.name, span.attributes['drum.layer']]), [[`drum.GET ${driver.route('/inherited/')}`, 'base']]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: an @All action is named with the method of each request`, async (t) => {
    @Controller()
    class CatchAllController {
      @Traced()
      @All('/any/')
      any() {
        return 'any';
      }
    }
    instrumentControllers([CatchAllController]);
    const server = await driver.start({ controllers: [CatchAllController] });
    try {
      await fetch(`${server.url}/any/`, { method: 'DELETE' }).then((response) => response.text());
      await fetch(`${server.url}/any/`, { method: 'PUT' }).then((response) => response.text());
      const spans = await finishedSpans(exporter, 2);
      t.deepEqual(spans.map((span) => [span.name, span.attributes['http.request.method']]), [
        [`drum.DELETE ${driver.route('/any/')}`, 'DELETE'],
        [`drum.PUT ${driver.route('/any/')}`, 'PUT'],
      ]);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: one method with several route decorators gets a span on every route, named by its @Traced name`, async (t) => {
    @JsonController()
    class MultiRouteController {
      @Post('/predict/')
      @Post('/predictions/')
      @Post('/invocations')
      @Traced('drum.invocations')
      predict() {
        return { ok: true };
      }
    }
    @JsonController()
    class MultiRouteChild extends MultiRouteController {}
    instrumentControllers([MultiRouteController, MultiRouteChild]);
    const server = await driver.start({ controllers: [MultiRouteController] });
    try {
      for (const path of ['/predict/', '/predictions/', '/invocations']) {
        t.is(await fetch(`${server.url}${path}`, { method: 'POST' }).then((response) => response.text()), '{"ok":true}');
      }
      const spans = await finishedSpans(exporter, 3);
      t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [
        ['drum.invocations', driver.route('/predict/')],
        ['drum.invocations', driver.route('/predictions/')],
        ['drum.invocations', '/invocations'],
      ]);
      t.deepEqual(diagRecords, []);
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: behind TLS the span says https, with the port of the connection`, async (t) => {
    @JsonController()
    class SecureModelController {
      @Get('/secure-model/')
      get() {
        return { ok: true };
      }
    }
    // A self-signed certificate for 127.0.0.1, made for these tests only.
    const tls = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tls');
    const app = requestListener(driver, { controllers: instrumentControllers([SecureModelController]) });
    const server = await serve(createHttpsServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, app));
    try {
      const port = Number(new URL(server.url).port);
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpsRequest({ host: '127.0.0.1', port, path: '/secure-model/?x=1', rejectUnauthorized: false, agent: false }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('error', reject);
        request.end();
      });
      t.is(status, 200);
      const [span] = await finishedSpans(exporter, 1);
      t.like(span.attributes, {
        'url.scheme': 'https',
        'url.query': 'x=1',
        'server.address': '127.0.0.1',
        'server.port': port,
        'client.address': '127.0.0.1',
        'network.protocol.version': '1.1',
      });
    } finally {
      await server.close();
    }
  });

  test.serial(`${driver.name}: X-Forwarded-Proto and X-Forwarded-For count only with trustProxy`, async (t) => {
    const forwarded = { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } };
    const proxied = (options: InstrumentOptions) => {
      @JsonController()
      class ProxiedController {
        @Get('/proxied/')
        get() {
          return { ok: true };
        }
      }
      return oneRequest(driver, [ProxiedController], options, '/proxied/', forwarded);
    };
    const spoofed = await proxied({});
    t.like(spoofed.spans[0].attributes, { 'url.scheme': 'http', 'client.address': '127.0.0.1', 'server.address': '127.0.0.1', 'server.port': spoofed.port });
    exporter.reset();
    const trusted = await proxied({ trustProxy: true });
    t.like(trusted.spans[0].attributes, { 'url.scheme': 'https', 'client.address': '203.0.113.9', 'server.address': '127.0.0.1', 'server.port': trusted.port });
  });

  test.serial(`${driver.name}: recordBodySizes adds the request and response body sizes; they are absent by default`, async (t) => {
    const sized = (options: InstrumentOptions) => {
      @JsonController()
      class SizedController {
        @Post('/sized/')
        post(@Body() body: unknown) {
          return { echoed: body };
        }
      }
      return oneRequest(driver, [SizedController], options, '/sized/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"rows":[1,2,3]}',
      });
    };
    const off = await sized({});
    t.is(off.body, '{"echoed":{"rows":[1,2,3]}}');
    t.false(Object.keys(off.spans[0].attributes).some((key) => key.endsWith('body.size')));
    exporter.reset();
    const on = await sized({ recordBodySizes: true });
    t.is(on.spans[0].attributes['http.request.body.size'], 16);
    t.is(on.spans[0].attributes['http.response.body.size'], Buffer.byteLength(on.body));
  });

  // routing-controllers' Express driver reads a body in the route's own middlewares, after drum-otel's; its Koa
  // driver has koa-bodyparser read every body before @koa/router picks the route (README: the span starts after it).
  test.serial(`${driver.name}: the request body is read ${driver.name === 'Express' ? 'inside the span' : 'before the span starts'}`, async (t) => {
    const order: string[] = [];
    @JsonController()
    class UploadController {
      @Post('/upload/')
      post(@Body() body: { rows: number[] }) {
        order.push('action');
        return { rows: body.rows.length };
      }
    }
    instrumentControllers([UploadController], {
      requestHook: () => order.push('span started'),
      responseHook: () => order.push('span ending'),
    });
    const server = await driver.start({ controllers: [UploadController] });
    // First of the server's listeners: each request's 'end' is emitted once whoever reads the body read all of it.
    server.server.prependListener('request', (request: IncomingMessage) => request.once('end', () => order.push('body read')));
    try {
      const response = await fetch(`${server.url}/upload/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows":[1,2,3]}' });
      t.is(await response.text(), '{"rows":3}');
      const spans = await finishedSpans(exporter, 1);
      t.deepEqual(spans.map((span) => [span.name, span.attributes['http.response.status_code']]), [[`drum.POST ${driver.route('/upload/')}`, 200]]);
      t.deepEqual(
        order,
        driver.name === 'Express' ? ['span started', 'body read', 'action', 'span ending'] : ['body read', 'span started', 'action', 'span ending'],
      );
    } finally {
      await server.close();
    }
  });
}
