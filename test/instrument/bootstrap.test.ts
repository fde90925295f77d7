import 'reflect-metadata';
import test from 'ava';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { startServer, type RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';

const diagRecords = captureDiag();

@JsonController()
class EarlyController {
  @Get('/early/')
  get() {
    return { early: true };
  }
}

@JsonController()
class LateController {
  @Get('/late/')
  get() {
    return { late: true };
  }
}

// Instrumented before any provider exists, as an app does when setupOtel() runs later in start-up.
instrumentControllers([EarlyController]);

let server: RunningServer;
let tracing: ReturnType<typeof registerTracing>;

test.before(async () => {
  server = await startServer({ controllers: [EarlyController, LateController] });
  // Too late: the routes above are built already.
  instrumentControllers([LateController]);
  tracing = registerTracing(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
    }),
  );
});

test.after.always(async () => {
  await server?.close();
});

test.beforeEach(() => {
  tracing.exporter.reset();
  diagRecords.length = 0;
});

async function get(path: string, headers: Record<string, string> = {}): Promise<unknown> {
  return (await fetch(`${server.url}${path}`, { headers })).json();
}

test.serial('the global provider is resolved lazily: one registered after instrumentControllers records the spans', async (t) => {
  t.deepEqual(await get('/early/'), { early: true });
  const spans = await finishedSpans(tracing.exporter, 1);
  t.deepEqual(spans.map((span) => span.name), ['drum.GET /early/']);
});

test.serial('a B3 multi-header parent is used when the app registers the B3 propagator', async (t) => {
  await get('/early/', {
    'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124',
    'x-b3-spanid': 'a2fb4a1d1a96d312',
    'x-b3-sampled': '1',
  });
  const [span] = await finishedSpans(tracing.exporter, 1);
  t.is(span.spanContext().traceId, '463ac35c9f6413ad48485a3953bb6124');
  t.is(span.parentSpanContext?.spanId, 'a2fb4a1d1a96d312');
});

test.serial('a B3 single-header parent is used too', async (t) => {
  await get('/early/', { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' });
  const [span] = await finishedSpans(tracing.exporter, 1);
  t.is(span.spanContext().traceId, '80f198ee56343ba864fe8b2a57d3eff7');
  t.is(span.parentSpanContext?.spanId, 'e457b5a2e4d86bd1');
});

test.serial('routes built before instrumentControllers warn once through diag on their first request', async (t) => {
  const direct = new LateController().get();
  t.deepEqual(direct, { late: true });
  t.deepEqual(diagRecords, [], 'a direct call outside routing-controllers is not a late route');
  t.deepEqual(await get('/late/'), { late: true });
  t.deepEqual(await get('/late/'), { late: true });
  t.deepEqual(await finishedSpans(tracing.exporter, 1, 200), []);
  t.deepEqual(diagRecords.map((record) => [record.level, record.message]), [
    [
      'warn',
      'drum-otel: LateController.get was called by routes that routing-controllers built before instrumentControllers() ran, ' +
        'so its requests get no span. Call instrumentControllers() before createExpressServer()/useExpressServer() ' +
        '(or createKoaServer()/useKoaServer()).',
    ],
  ]);
});
