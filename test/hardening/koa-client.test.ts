import 'reflect-metadata';
import test from 'ava';
import { trace } from '@opentelemetry/api';
import type { Context } from 'koa';
import { Body, Ctx, Get, JsonController, Param, Post } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing, spanNamed } from '../helpers/tracing';
import { connectionCount, delay, drumSpans, listenerReport, RawClient, rawRequest, requestSummary, startKoaServerWith, until } from './support';

// client.test.ts's cases on routing-controllers' Koa driver. Its routes have no trailing slash (`/c/body/` is
// registered and matched as `/c/body`), and koa-bodyparser runs as an app middleware, before @koa/router: a
// request's body is read before its route's middlewares, drum-otel's among them, run.

const { exporter } = registerTracing();
const diagRecords = captureDiag();
const tracer = trace.getTracer('koa-client-test');

/** Handlers of /c/wait/:id park here until the test releases them. */
const gates = new Map<string, () => void>();
let started = 0;
/** Requests that reached the Koa app, and those whose middleware chain has settled (answered, failed or given up), by path. */
const entered: string[] = [];
const settled: string[] = [];

@JsonController('/c')
class ClientController {
  @Post('/body/')
  body(@Body() body: { n: number }) {
    return { n: body.n };
  }

  @Get('/ok/:id')
  ok(@Param('id') id: string) {
    return { id };
  }

  @Get('/wait/:id')
  async wait(@Param('id') id: string) {
    await new Promise<void>((resolve) => gates.set(id, resolve));
    tracer.startActiveSpan(`after.gate.${id}`, (span) => span.end());
    return { id };
  }

  @Get('/listeners/')
  listeners(@Ctx() ctx: Context) {
    return listenerReport(ctx.res);
  }
}

@JsonController('/twin')
class TwinController {
  @Get('/listeners/')
  listeners(@Ctx() ctx: Context) {
    return listenerReport(ctx.res);
  }
}

let server: RunningServer;

test.before(async () => {
  instrumentControllers([ClientController], { requestHook: () => void started++ });
  server = await startKoaServerWith(
    { controllers: [ClientController, TwinController] },
    {
      outermost: async (ctx, next) => {
        entered.push(ctx.path);
        try {
          await next();
        } finally {
          settled.push(ctx.path);
        }
      },
    },
  );
});

test.after.always(async () => {
  await server?.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
  started = 0;
  entered.length = 0;
  settled.length = 0;
});

test.afterEach(async (t) => {
  let open = await connectionCount(server.server);
  for (let tries = 0; open !== 0 && tries < 300; tries++) {
    await delay(10);
    open = await connectionCount(server.server);
  }
  t.is(open, 0, 'the server still holds connections');
});

// koa-bodyparser waits for the rest of the body before @koa/router runs the route: the client going away then
// ends the request in the body parser ("request aborted"), before drum-otel's middleware, so there is no span,
// and the request hook is not called.
for (const [how, abort] of [
  ['connection reset', (client: RawClient) => client.socket.resetAndDestroy()],
  ['FIN', (client: RawClient) => client.destroy()],
] as const) {
  test.serial(`abort (${how}) before the body is read: the body parser ends the request; no span`, async (t) => {
    const client = await RawClient.open(server.url);
    await client.write(rawRequest('POST', '/c/body/', { 'Content-Type': 'application/json', 'Content-Length': '100' }).replace('Content-Length: 0\r\n', ''));
    await client.write('{"n": 1');
    t.true(await until(() => entered.length === 1));
    abort(client);
    t.true(await until(() => settled.length === 1));
    t.deepEqual(settled, ['/c/body/']);
    t.is(started, 0);
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
    t.deepEqual(diagRecords, []);
  });
}

test.serial('abort while the handler awaits: one aborted span; the handler finishing later adds only its child', async (t) => {
  const client = await RawClient.open(server.url);
  await client.write(rawRequest('GET', '/c/wait/a1'));
  t.true(await until(() => gates.has('a1')));
  t.is(started, 1);
  client.destroy();
  const spans = await finishedSpans(exporter, 1);
  t.deepEqual(spans.map(requestSummary), [{ name: 'drum.GET /c/wait/:id', route: '/c/wait/:id', path: '/c/wait/a1', status: undefined, aborted: true }]);
  gates.get('a1')!();
  gates.delete('a1');
  const after = await finishedSpans(exporter, 2);
  t.is(after.length, 2);
  const child = spanNamed(after, 'after.gate.a1');
  t.is(child.parentSpanContext?.spanId, spans[0].spanContext().spanId);
  t.is(drumSpans(after).length, 1);
  t.true(await until(() => settled.length === 1));
  t.deepEqual(diagRecords, []);
});

test.serial('a slow-loris body sent a byte at a time, then completed: served, one span with 200', async (t) => {
  const client = await RawClient.open(server.url);
  const body = JSON.stringify({ n: 1234567, padding: 'x'.repeat(20) });
  await client.write(rawRequest('POST', '/c/body/', { 'Content-Type': 'application/json', Connection: 'close' }, body).slice(0, -body.length));
  for (const byte of body) {
    await client.write(byte);
    await delay(15);
  }
  const [response] = await client.responses(1);
  client.destroy();
  t.is(response?.status, 200);
  t.is(response?.body, '{"n":1234567}');
  const spans = await finishedSpans(exporter, 1);
  t.deepEqual(spans.map(requestSummary), [{ name: 'drum.POST /c/body', route: '/c/body', path: '/c/body/', status: 200, aborted: undefined }]);
});

test.serial('pipelined keep-alive requests on one socket: each answered in order, each span once with its own status', async (t) => {
  const client = await RawClient.open(server.url);
  await client.write(
    [
      rawRequest('GET', '/c/ok/1'),
      rawRequest('POST', '/c/body/', { 'Content-Type': 'application/json' }, '{"n":2}'),
      rawRequest('GET', '/c/no-such-route/'),
      rawRequest('GET', '/c/ok/5'),
    ].join(''),
  );
  const responses = await client.responses(4);
  t.deepEqual(
    responses.map((response) => [response.status, response.body]),
    [
      [200, '{"id":"1"}'],
      [200, '{"n":2}'],
      [404, 'Not Found'],
      [200, '{"id":"5"}'],
    ],
  );
  await client.end();
  const spans = await finishedSpans(exporter, 3);
  t.deepEqual(spans.map(requestSummary).sort((a, b) => String(a.path).localeCompare(String(b.path))), [
    { name: 'drum.POST /c/body', route: '/c/body', path: '/c/body/', status: 200, aborted: undefined },
    { name: 'drum.GET /c/ok/:id', route: '/c/ok/:id', path: '/c/ok/1', status: 200, aborted: undefined },
    { name: 'drum.GET /c/ok/:id', route: '/c/ok/:id', path: '/c/ok/5', status: 200, aborted: undefined },
  ]);
});

test.serial('pipelined requests cut off mid-way: the answered one is complete, the pending ones are marked aborted', async (t) => {
  const client = await RawClient.open(server.url);
  await client.write([rawRequest('GET', '/c/ok/3'), rawRequest('GET', '/c/wait/p2'), rawRequest('GET', '/c/ok/4')].join(''));
  const [first] = await client.responses(1);
  t.is(first?.status, 200);
  t.true(await until(() => gates.has('p2')));
  client.destroy();
  const spans = await finishedSpans(exporter, 2);
  gates.get('p2')!();
  gates.delete('p2');
  const byPath = Object.fromEntries(drumSpans(spans).map((span) => [span.attributes['url.path'], requestSummary(span)]));
  t.deepEqual(byPath['/c/ok/3'], { name: 'drum.GET /c/ok/:id', route: '/c/ok/:id', path: '/c/ok/3', status: 200, aborted: undefined });
  t.deepEqual(byPath['/c/wait/p2'], { name: 'drum.GET /c/wait/:id', route: '/c/wait/:id', path: '/c/wait/p2', status: undefined, aborted: true });
  t.is(drumSpans(spans).length, Object.keys(byPath).length, 'one span per request');
  if (byPath['/c/ok/4'] !== undefined) t.true(byPath['/c/ok/4'].aborted, 'a request queued behind the cut-off one was not delivered');
  t.true(await until(() => settled.includes('/c/wait/p2')));
});

test.serial('50 requests on one keep-alive socket: one close listener each, and no listener accumulates on the socket', async (t) => {
  const client = await RawClient.open(server.url);
  const reports: { instrumented: unknown; twin: unknown }[] = [];
  for (let index = 0; index < 50; index++) {
    await client.write(rawRequest('GET', '/c/listeners/') + rawRequest('GET', '/twin/listeners/'));
    const responses = await client.responses(2 * (index + 1));
    const [instrumented, twin] = responses.slice(-2).map((response) => JSON.parse(response.body));
    reports.push({ instrumented, twin });
  }
  await client.end();
  const first = reports[0];
  const twinReport = first.twin as { close: number; finish: number; socket: Record<string, number> };
  t.deepEqual(first.instrumented, { ...twinReport, close: twinReport.close + 1 });
  t.true(reports.every((report) => JSON.stringify(report) === JSON.stringify(first)), 'listener counts changed between requests');
  const spans = await finishedSpans(exporter, 50);
  t.is(spans.length, 50);
  t.true(spans.every((span) => span.name === 'drum.GET /c/listeners' && span.attributes['http.response.status_code'] === 200 && span.attributes['drum.request.aborted'] === undefined));
});
