import 'reflect-metadata';
import test from 'ava';
import { trace, type Attributes } from '@opentelemetry/api';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';
import { IsInt, Min } from 'class-validator';
import { Body, Get, HttpError, JsonController, Param, Post } from 'routing-controllers';
import { ATTR_GEN_AI_REQUEST_CONSUMER_ID, instrumentControllers, NoTrace, Traced } from '../../../src';
import type { ReadableSpan } from '../../helpers/sdk';
import { startKoaServer, startServer, type RunningServer } from '../../helpers/server';
import { finishedSpans, registerTracing } from '../../helpers/tracing';

// One app, its controllers served by Express and by Koa in one process: each driver's requests must export
// exactly the spans of the other's.

const { exporter } = registerTracing();
const tracer = trace.getTracer('test-koa');

class ScoreRequest {
  @IsInt()
  @Min(1)
  rows!: number;
}

@JsonController('/models')
@Traced({ attributes: { 'model.kind': 'iris' } })
class ModelController {
  @Get('/:id')
  model(@Param('id') id: number) {
    return { id, idType: typeof id };
  }

  @Post('/score')
  @Traced('drum.invocations')
  async score(@Body() body: ScoreRequest) {
    await new Promise((resolve) => setImmediate(resolve));
    tracer.startActiveSpan('model.score', (span) => span.end());
    return { rows: body.rows };
  }

  @Get('/failing/now')
  fail() {
    throw new TypeError('kaput');
  }

  @Get('/failing/later')
  async reject() {
    await new Promise((resolve) => setImmediate(resolve));
    throw new RangeError('later');
  }

  @Get('/failing/teapot')
  teapot() {
    throw new HttpError(418, 'I am a teapot');
  }
}

@NoTrace()
@JsonController()
class HealthController {
  @Get('/ping')
  ping() {
    return { message: 'OK' };
  }
}

const controllers = instrumentControllers([ModelController, HealthController]);
const servers: Record<'express' | 'koa', RunningServer> = {} as never;

test.before(async () => {
  servers.express = await startServer({ routePrefix: '/api', controllers, development: false });
  servers.koa = await startKoaServer({ routePrefix: '/api', controllers, development: false });
});

test.after.always(async () => {
  await servers.express?.close();
  await servers.koa?.close();
});

test.beforeEach(() => exporter.reset());

type Call = readonly [method: string, path: string, body?: unknown];

const CALLS: readonly Call[] = [
  ['GET', '/api/models/7'],
  ['POST', '/api/models/score', { rows: 3 }],
  ['POST', '/api/models/score', { rows: 0 }],
  ['GET', '/api/models/failing/now'],
  ['GET', '/api/models/failing/later'],
  ['GET', '/api/models/failing/teapot'],
  ['GET', '/api/ping'],
];

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Sends `call` with a traceparent of its own, numbered by `index`; returns the status and the parsed body. */
async function send(server: RunningServer, [method, path, body]: Call, index: number): Promise<[number, unknown]> {
  const headers: Record<string, string> = {
    traceparent: `00-${TRACE_ID}-${parentSpanId(index)}-01`,
    'x-datarobot-consumer-id': `consumer-${index}`,
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return [response.status, text === '' ? undefined : (JSON.parse(text) as unknown)];
}

function parentSpanId(index: number): string {
  return (index + 1).toString(16).padStart(16, '0');
}

/** What must be the same on both drivers: everything but the port and the ids of the spans themselves. */
function comparable(span: ReadableSpan) {
  const { 'server.port': _port, ...attributes } = span.attributes as Attributes;
  return {
    name: span.name,
    kind: span.kind,
    status: span.status.code,
    traceId: span.spanContext().traceId,
    parent: span.parentSpanContext?.spanId,
    attributes,
    events: span.events.map((event) => [event.name, event.attributes?.[ATTR_EXCEPTION_TYPE], event.attributes?.[ATTR_EXCEPTION_MESSAGE]]),
  };
}

/** The request spans (not their children) in the order of `CALLS`, by their parent. */
async function requestSpans(count: number): Promise<ReturnType<typeof comparable>[]> {
  const spans = await finishedSpans(exporter, count);
  return spans
    .filter((span) => span.name !== 'model.score')
    .map(comparable)
    .sort((a, b) => a.parent!.localeCompare(b.parent!));
}

test.serial('the same app exports the same spans on Express and on Koa', async (t) => {
  const answers: Record<string, [number, unknown][]> = {};
  const spans: Record<string, ReturnType<typeof comparable>[]> = {};
  for (const driver of ['express', 'koa'] as const) {
    exporter.reset();
    answers[driver] = [];
    for (const [index, call] of CALLS.entries()) answers[driver].push(await send(servers[driver], call, index));
    // Six traced requests and the child span of the successful score.
    spans[driver] = await requestSpans(7);
  }
  t.deepEqual(
    answers.koa.map(([status]) => status),
    [200, 200, 400, 500, 500, 418, 200],
  );
  t.deepEqual(answers.koa, answers.express);
  t.deepEqual(
    spans.koa.map((span) => [span.name, span.attributes['http.route'], span.attributes['http.response.status_code'], span.status, span.parent]),
    [
      ['drum.GET /api/models/:id', '/api/models/:id', 200, 0, parentSpanId(0)],
      ['drum.invocations', '/api/models/score', 200, 0, parentSpanId(1)],
      ['drum.invocations', '/api/models/score', 400, 0, parentSpanId(2)],
      ['drum.GET /api/models/failing/now', '/api/models/failing/now', 500, 2, parentSpanId(3)],
      ['drum.GET /api/models/failing/later', '/api/models/failing/later', 500, 2, parentSpanId(4)],
      ['drum.GET /api/models/failing/teapot', '/api/models/failing/teapot', 418, 0, parentSpanId(5)],
    ],
  );
  t.deepEqual(
    spans.koa.map((span) => span.events),
    [[], [], [], [['exception', 'TypeError', 'kaput']], [['exception', 'RangeError', 'later']], []],
  );
  t.deepEqual(
    spans.koa.map((span) => [span.attributes[ATTR_GEN_AI_REQUEST_CONSUMER_ID], span.attributes['model.kind']]),
    [0, 1, 2, 3, 4, 5].map((index) => [`consumer-${index}`, 'iris']),
  );
  t.deepEqual(spans.koa, spans.express);
});

test.serial('on Koa, a span started in the action is a child of the request span', async (t) => {
  const [status] = await send(servers.koa, CALLS[1], 1);
  t.is(status, 200);
  const spans = await finishedSpans(exporter, 2);
  const request = spans.find((span) => span.name === 'drum.invocations')!;
  const child = spans.find((span) => span.name === 'model.score')!;
  t.is(child.parentSpanContext?.spanId, request.spanContext().spanId);
  t.is(child.spanContext().traceId, TRACE_ID);
  t.is(request.attributes['model.kind'], 'iris');
});

test.serial('50 concurrent Koa requests each keep their own trace and identity', async (t) => {
  const statuses = await Promise.all(Array.from({ length: 50 }, (_, index) => send(servers.koa, CALLS[1], index)));
  t.deepEqual(new Set(statuses.map(([status]) => status)), new Set([200]));
  const spans = await finishedSpans(exporter, 100);
  t.is(spans.length, 100);
  const requests = spans.filter((span) => span.name === 'drum.invocations');
  t.is(requests.length, 50);
  for (const span of requests) {
    const index = parseInt(span.parentSpanContext!.spanId, 16) - 1;
    t.is(span.spanContext().traceId, TRACE_ID);
    t.is(span.attributes[ATTR_GEN_AI_REQUEST_CONSUMER_ID], `consumer-${index}`, `request ${index}`);
  }
  const requestIds = new Set(requests.map((span) => span.spanContext().spanId));
  const children = spans.filter((span) => span.name === 'model.score');
  t.is(children.length, 50);
  t.true(children.every((child) => requestIds.has(child.parentSpanContext!.spanId)));
  t.is(new Set(children.map((child) => child.parentSpanContext!.spanId)).size, 50, 'each request has its own child');
});
