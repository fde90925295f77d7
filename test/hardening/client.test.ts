import 'reflect-metadata';
import test from 'ava';
import { trace } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Get, JsonController, Param, Post, Req } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing, spanNamed } from '../helpers/tracing';
import { connectionCount, delay, DRIVERS, drumSpans, listenerReport, RawClient, rawRequest, requestSummary, startKoaServerWith, startServerWith, until, type HardeningDriver } from './support';

// Each case runs on routing-controllers' Express and Koa drivers. Koa's routes have no trailing slash (`/c/body/`
// is registered and matched as `/c/body`), and koa-bodyparser runs as an app middleware, before @koa/router: a
// request's body is read before its route's middlewares, drum-otel's among them, run.

const { exporter } = registerTracing();
const diagRecords = captureDiag();
const tracer = trace.getTracer('client-test');

/** Handlers of /c/wait/:id park here until the test releases them. */
const gates = new Map<string, () => void>();
let started = 0;
/**
 * Requests that reached the app, and those it is done with, by path: on Koa when its middleware chain has settled
 * (answered, failed or given up), on Express when the response closed.
 */
const entered: string[] = [];
const settled: string[] = [];

/** The request (Express's, or Koa's `ctx.request`) carries Node's response as `res` on both drivers. */
type WithResponse = { res: ServerResponse };

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

  @Get('/fail/')
  fail() {
    throw new TypeError('failed');
  }

  @Get('/wait/:id')
  async wait(@Param('id') id: string) {
    await new Promise<void>((resolve) => gates.set(id, resolve));
    tracer.startActiveSpan(`after.gate.${id}`, (span) => span.end());
    return { id };
  }

  @Get('/listeners/')
  listeners(@Req() request: WithResponse) {
    return listenerReport(request.res);
  }
}

@JsonController('/twin')
class TwinController {
  @Get('/listeners/')
  listeners(@Req() request: WithResponse) {
    return listenerReport(request.res);
  }
}

/** How each driver is started with `entered`/`settled` kept, and what it answers for a path no route matches. */
const SETUP: Record<HardeningDriver['name'], { start(): Promise<RunningServer>; notFound(path: string): string }> = {
  Express: {
    async start() {
      const running = await startServerWith({ controllers: [ClientController, TwinController] });
      running.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
        const path = request.url ?? '';
        entered.push(path);
        response.once('close', () => settled.push(path));
      });
      return running;
    },
    notFound: (path) =>
      `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET ${path}</pre>\n</body>\n</html>\n`,
  },
  Koa: {
    start: () =>
      startKoaServerWith(
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
      ),
    notFound: () => 'Not Found',
  },
};

const servers = new Map<HardeningDriver['name'], RunningServer>();

test.before(async () => {
  instrumentControllers([ClientController], { requestHook: () => void started++ });
  for (const driver of DRIVERS) servers.set(driver.name, await SETUP[driver.name].start());
});

test.after.always(async () => {
  for (const server of servers.values()) await server.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
  started = 0;
  entered.length = 0;
  settled.length = 0;
});

test.afterEach(async (t) => {
  for (const server of servers.values()) {
    let open = await connectionCount(server.server);
    for (let tries = 0; open !== 0 && tries < 300; tries++) {
      await delay(10);
      open = await connectionCount(server.server);
    }
    t.is(open, 0, 'the server still holds connections');
  }
});

/** Sends the head of a POST announcing 100 bytes and 7 of them. */
async function partialPost(server: RunningServer): Promise<RawClient> {
  const client = await RawClient.open(server.url);
  await client.write(rawRequest('POST', '/c/body/', { 'Content-Type': 'application/json', 'Content-Length': '100' }).replace('Content-Length: 0\r\n', ''));
  await client.write('{"n": 1');
  return client;
}

const ABORTS = [
  ['connection reset', (client: RawClient) => client.socket.resetAndDestroy()],
  ['FIN', (client: RawClient) => client.destroy()],
] as const;

// Express: the client goes away while body-parser waits for the rest of the body: body-parser then fails with 400
// "request aborted" and routing-controllers hands that 400 to the dying socket. The span must say aborted; its
// status code is the head that was handed over (400) when that happened before the connection closed, else none.
for (const [how, abort] of ABORTS) {
  test.serial(`Express: abort (${how}) before the body is read: one span, marked aborted`, async (t) => {
    const client = await partialPost(servers.get('Express')!);
    await until(() => started === 1);
    t.is(started, 1);
    abort(client);
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    const { status, ...rest } = requestSummary(spans[0]);
    t.deepEqual(rest, { name: 'drum.POST /c/body/', route: '/c/body/', path: '/c/body/', aborted: true });
    t.true(status === undefined || status === 400, String(status));
    await delay(50);
    t.is(exporter.getFinishedSpans().length, 1);
    t.deepEqual(diagRecords, []);
  });
}

// Koa: koa-bodyparser waits for the rest of the body before @koa/router runs the route: the client going away then
// ends the request in the body parser ("request aborted"), before drum-otel's middleware, so there is no span,
// and the request hook is not called.
for (const [how, abort] of ABORTS) {
  test.serial(`Koa: abort (${how}) before the body is read: the body parser ends the request; no span`, async (t) => {
    const client = await partialPost(servers.get('Koa')!);
    t.true(await until(() => entered.length === 1));
    abort(client);
    t.true(await until(() => settled.length === 1));
    t.deepEqual(settled, ['/c/body/']);
    t.is(started, 0);
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
    t.deepEqual(diagRecords, []);
  });
}

for (const driver of DRIVERS) {
  const server = () => servers.get(driver.name)!;
  /** A drum span's `requestSummary` for `method` on `route`, named and routed as the driver registers it. */
  const summary = (method: string, route: string, path: string, status: number | undefined, aborted: true | undefined) => ({
    name: `drum.${method} ${driver.route(route)}`,
    route: driver.route(route),
    path,
    status,
    aborted,
  });

  test.serial(`${driver.name}: abort while the handler awaits: one aborted span; the handler finishing later adds only its child`, async (t) => {
    const client = await RawClient.open(server().url);
    await client.write(rawRequest('GET', '/c/wait/a1'));
    t.true(await until(() => gates.has('a1')));
    t.is(started, 1);
    client.destroy();
    const spans = await finishedSpans(exporter, 1);
    t.deepEqual(spans.map(requestSummary), [summary('GET', '/c/wait/:id', '/c/wait/a1', undefined, true)]);
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

  test.serial(`${driver.name}: a slow-loris body sent a byte at a time, then completed: served, one span with 200`, async (t) => {
    const client = await RawClient.open(server().url);
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
    t.deepEqual(spans.map(requestSummary), [summary('POST', '/c/body/', '/c/body/', 200, undefined)]);
  });

  test.serial(`${driver.name}: pipelined keep-alive requests on one socket: each answered in order, each span once with its own status`, async (t) => {
    const client = await RawClient.open(server().url);
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
        [404, SETUP[driver.name].notFound('/c/no-such-route/')],
        [200, '{"id":"5"}'],
      ],
    );
    await client.end();
    const spans = await finishedSpans(exporter, 3);
    t.deepEqual(spans.map(requestSummary).sort((a, b) => String(a.path).localeCompare(String(b.path))), [
      summary('POST', '/c/body/', '/c/body/', 200, undefined),
      summary('GET', '/c/ok/:id', '/c/ok/1', 200, undefined),
      summary('GET', '/c/ok/:id', '/c/ok/5', 200, undefined),
    ]);
  });

  test.serial(`${driver.name}: pipelined requests cut off mid-way: the answered one is complete, the pending ones are marked aborted`, async (t) => {
    const client = await RawClient.open(server().url);
    await client.write([rawRequest('GET', '/c/ok/3'), rawRequest('GET', '/c/wait/p2'), rawRequest('GET', '/c/ok/4')].join(''));
    const [first] = await client.responses(1);
    t.is(first?.status, 200);
    t.true(await until(() => gates.has('p2')));
    client.destroy();
    const spans = await finishedSpans(exporter, 2);
    gates.get('p2')!();
    gates.delete('p2');
    const byPath = Object.fromEntries(drumSpans(spans).map((span) => [span.attributes['url.path'], requestSummary(span)]));
    t.deepEqual(byPath['/c/ok/3'], summary('GET', '/c/ok/:id', '/c/ok/3', 200, undefined));
    t.deepEqual(byPath['/c/wait/p2'], summary('GET', '/c/wait/:id', '/c/wait/p2', undefined, true));
    t.is(drumSpans(spans).length, Object.keys(byPath).length, 'one span per request');
    if (byPath['/c/ok/4'] !== undefined) t.true(byPath['/c/ok/4'].aborted, 'a request queued behind the cut-off one was not delivered');
    t.true(await until(() => settled.includes('/c/wait/p2')));
  });

  test.serial(`${driver.name}: 50 requests on one keep-alive socket: one close listener each, and no listener accumulates on the socket`, async (t) => {
    const client = await RawClient.open(server().url);
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
    const name = `drum.GET ${driver.route('/c/listeners/')}`;
    t.true(spans.every((span) => span.name === name && span.attributes['http.response.status_code'] === 200 && span.attributes['drum.request.aborted'] === undefined));
  });
}
