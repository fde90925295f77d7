import 'reflect-metadata';
import test from 'ava';
import { SpanKind, trace } from '@opentelemetry/api';
import { AlwaysOffSampler, createTracerProvider } from '../helpers/sdk';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { All, Body, Controller, createExpressServer, Get, JsonController, Param, Post } from 'routing-controllers';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { instrumentControllers, NoTrace, Traced, type HookInfo, type InstrumentOptions } from '../../src';
import { serve, startServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';

const { exporter } = registerTracing();
const diagRecords = captureDiag();

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

/** Instruments `controllers` with `options`, serves them with `routing`, sends one request, returns its spans. */
async function oneRequest(
  controllers: Function[],
  options: InstrumentOptions,
  path: string,
  init: RequestInit = {},
  routing: { routePrefix?: string } = {},
) {
  instrumentControllers(controllers, options);
  const server = await startServer({ controllers, ...routing });
  try {
    const response = await fetch(`${server.url}${path}`, init);
    const body = await response.text();
    return { status: response.status, body, spans: await finishedSpans(exporter, 1, 2000), port: Number(new URL(server.url).port) };
  } finally {
    await server.close();
  }
}

test.serial("the route prefix given to routing-controllers only is part of the span name and http.route", async (t) => {
  @JsonController('/models')
  class PrefixedController {
    @Get('/:id/versions/:version')
    version() {
      return { ok: true };
    }
  }
  const { status, spans } = await oneRequest([PrefixedController], {}, '/api/models/7/versions/2', {}, { routePrefix: '/api' });
  t.is(status, 200);
  t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['url.path']]), [
    ['drum.GET /api/models/:id/versions/:version', '/api/models/:id/versions/:version', '/api/models/7/versions/2'],
  ]);
  t.deepEqual(diagRecords, []);
});

test.serial('a prefix without a slash is applied as routing-controllers applies it', async (t) => {
  @JsonController()
  class BareController {
    @Post('/predict/')
    predict() {
      return { ok: true };
    }
  }
  const { status, spans } = await oneRequest([BareController], {}, '/api/predict/', { method: 'POST' }, { routePrefix: 'api' });
  t.is(status, 200);
  t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [['drum.POST /api/predict/', '/api/predict/']]);
});

test.serial('the routePrefix option is not needed, and one that differs from routing-controllers\' changes nothing', async (t) => {
  @JsonController()
  class MismatchController {
    @Get('/mismatch/')
    get() {
      return { ok: true };
    }
  }
  const { status, spans } = await oneRequest([MismatchController], { routePrefix: '/v1' }, '/v2/mismatch/', {}, { routePrefix: '/v2' });
  t.is(status, 200);
  t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [['drum.GET /v2/mismatch/', '/v2/mismatch/']]);
  t.deepEqual(diagRecords, []);
});

test.serial('the routePrefix option decides between two actions whose routes end alike under the prefix', async (t) => {
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
  const hinted = await oneRequest([define()], { routePrefix: '/api' }, '/api/predict/', { method: 'POST' }, { routePrefix: '/api' });
  t.is(hinted.body, '"short"');
  t.deepEqual(hinted.spans.map((span) => span.name), ['drum.POST /api/predict/']);
  exporter.reset();
  const unhinted = await oneRequest([define()], {}, '/api/api/predict/', { method: 'POST' }, { routePrefix: '/api' });
  t.is(unhinted.body, '"long"');
  t.deepEqual(unhinted.spans.map((span) => span.name), ['drum.POST /api/api/predict/']);
});

test.serial('spanNamePrefix replaces drum in the default name', async (t) => {
  @Controller()
  class PrefixNameController {
    @Post('/score')
    score() {
      return 'scored';
    }
  }
  const { body, spans } = await oneRequest([PrefixNameController], { spanNamePrefix: 'model' }, '/score', { method: 'POST' });
  t.is(body, 'scored');
  t.deepEqual(spans.map((span) => span.name), ['model.POST /score']);
});

test.serial('an empty spanNamePrefix gives the HTTP conventions\' name, METHOD and route', async (t) => {
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
  const { body, spans } = await oneRequest([OrdersController], { spanNamePrefix: '' }, '/orders/7', {});
  t.is(body, 'order 7');
  t.deepEqual(spans.map((span) => [span.name, span.attributes[ATTR_HTTP_ROUTE]]), [['GET /orders/:id', '/orders/:id']]);
  exporter.reset();
  const named = await oneRequest([OrdersController], { spanNamePrefix: '' }, '/orders/', { method: 'POST' });
  t.deepEqual(named.spans.map((span) => span.name), ['orders.create']);
});

test.serial('traceUndecorated: false leaves undecorated actions untraced but keeps @Traced ones', async (t) => {
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
  const plain = await oneRequest([MixedController], { traceUndecorated: false }, '/plain/');
  t.deepEqual(plain.spans, []);
  const server = await startServer({ controllers: [MixedController] });
  try {
    await fetch(`${server.url}/marked/`).then((response) => response.text());
    t.deepEqual((await finishedSpans(exporter, 1)).map((span) => span.name), ['drum.GET /marked/']);
  } finally {
    await server.close();
  }
});

test.serial('an undecorated action in an undecorated class is traced by default', async (t) => {
  @JsonController()
  class UndecoratedController {
    @Get('/undecorated/')
    get() {
      return {};
    }
  }
  const { spans } = await oneRequest([UndecoratedController], {}, '/undecorated/');
  t.deepEqual(spans.map((span) => [span.name, span.kind]), [['drum.GET /undecorated/', SpanKind.SERVER]]);
});

test.serial('captureRequestHeaders records listed headers as string[] and redacts credentials', async (t) => {
  @JsonController()
  class CaptureController {
    @Get('/capture/')
    get() {
      return {};
    }
  }
  const { spans } = await oneRequest(
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

test.serial('headerAttributes replaces the identity headers; requestHook and responseHook get one info object', async (t) => {
  @JsonController()
  class HookController {
    @Get('/hooks/')
    get() {
      return {};
    }
  }
  const seen: string[] = [];
  const infos: HookInfo[] = [];
  const { spans } = await oneRequest(
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
  t.deepEqual(seen, ['request /api/hooks/?a=1 HookController.get /api/hooks/', 'response 200']);
  t.is(infos[0], infos[1], 'both hooks get the same object');
  t.is(infos[0].response.req, infos[0].request);
  t.is(spans[0].attributes['tenant.id'], 'acme');
  t.is(spans[0].attributes['gen_ai.request.consumer_id'], undefined);
  t.is(spans[0].attributes['hook.request'], true);
  t.is(spans[0].attributes['hook.response'], 200);
});

test.serial('a request the sampler drops still reaches responseHook, and spans started by its action are dropped with it', async (t) => {
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

test.serial('hooks and headerAttributes that throw are reported through diag; the request and span are unharmed', async (t) => {
  @JsonController()
  class ThrowingHookController {
    @Get('/throwing-hooks/')
    get() {
      return { fine: true };
    }
  }
  const { status, body, spans } = await oneRequest(
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

test.serial('headerAttributes returning a non-object is reported and ignored', async (t) => {
  @JsonController()
  class GarbageController {
    @Get('/garbage/')
    get() {
      return {};
    }
  }
  const { status, spans } = await oneRequest([GarbageController], { headerAttributes: () => 42 as never }, '/garbage/');
  t.is(status, 200);
  t.is(spans[0].attributes['http.route'], '/garbage/');
  t.deepEqual(diagRecords.map((record) => record.message), ['drum-otel: headerAttributes returned 42, not an object; ignored']);
});

test.serial('decorators on a base class apply to the actions a subclass inherits', async (t) => {
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
  const server = await startServer({ controllers: [ChildController] });
  try {
    t.is(await fetch(`${server.url}/inherited/`).then((response) => response.text()), '{"from":"base"}');
    t.is(await fetch(`${server.url}/inherited-quiet/`).then((response) => response.text()), '{"from":"base"}');
    const spans = await finishedSpans(exporter, 1);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['drum.layer']]), [['drum.GET /inherited/', 'base']]);
  } finally {
    await server.close();
  }
});

test.serial('an @All action is named with the method of each request', async (t) => {
  @Controller()
  class CatchAllController {
    @Traced()
    @All('/any/')
    any() {
      return 'any';
    }
  }
  instrumentControllers([CatchAllController]);
  const server = await startServer({ controllers: [CatchAllController] });
  try {
    await fetch(`${server.url}/any/`, { method: 'DELETE' }).then((response) => response.text());
    await fetch(`${server.url}/any/`, { method: 'PUT' }).then((response) => response.text());
    const spans = await finishedSpans(exporter, 2);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.request.method']]), [
      ['drum.DELETE /any/', 'DELETE'],
      ['drum.PUT /any/', 'PUT'],
    ]);
  } finally {
    await server.close();
  }
});

test.serial('one method with several route decorators gets a span on every route, named by its @Traced name', async (t) => {
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
  const server = await startServer({ controllers: [MultiRouteController] });
  try {
    for (const path of ['/predict/', '/predictions/', '/invocations']) {
      t.is(await fetch(`${server.url}${path}`, { method: 'POST' }).then((response) => response.text()), '{"ok":true}');
    }
    const spans = await finishedSpans(exporter, 3);
    t.deepEqual(spans.map((span) => [span.name, span.attributes['http.route']]), [
      ['drum.invocations', '/predict/'],
      ['drum.invocations', '/predictions/'],
      ['drum.invocations', '/invocations'],
    ]);
    t.deepEqual(diagRecords, []);
  } finally {
    await server.close();
  }
});

test.serial('behind TLS the span says https, with the port of the connection', async (t) => {
  @JsonController()
  class SecureModelController {
    @Get('/secure-model/')
    get() {
      return { ok: true };
    }
  }
  // A self-signed certificate for 127.0.0.1, made for these tests only.
  const tls = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tls');
  const app = createExpressServer({ controllers: instrumentControllers([SecureModelController]) });
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

test.serial('X-Forwarded-Proto and X-Forwarded-For count only with trustProxy', async (t) => {
  const forwarded = { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } };
  const proxied = (options: InstrumentOptions) => {
    @JsonController()
    class ProxiedController {
      @Get('/proxied/')
      get() {
        return { ok: true };
      }
    }
    return oneRequest([ProxiedController], options, '/proxied/', forwarded);
  };
  const spoofed = await proxied({});
  t.like(spoofed.spans[0].attributes, { 'url.scheme': 'http', 'client.address': '127.0.0.1', 'server.address': '127.0.0.1', 'server.port': spoofed.port });
  exporter.reset();
  const trusted = await proxied({ trustProxy: true });
  t.like(trusted.spans[0].attributes, { 'url.scheme': 'https', 'client.address': '203.0.113.9', 'server.address': '127.0.0.1', 'server.port': trusted.port });
});

test.serial('recordBodySizes adds the request and response body sizes; they are absent by default', async (t) => {
  const sized = (options: InstrumentOptions) => {
    @JsonController()
    class SizedController {
      @Post('/sized/')
      post(@Body() body: unknown) {
        return { echoed: body };
      }
    }
    return oneRequest([SizedController], options, '/sized/', {
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
