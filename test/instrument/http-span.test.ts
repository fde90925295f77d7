import { tracing } from '../fixtures/http-instrumentation';
import 'reflect-metadata';
import test from 'ava';
import { SpanKind } from '@opentelemetry/api';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers, NoTrace, type HookInfo } from '../../src';
import { SERVER_DRIVERS, type RunningServer, type ServerDriver } from '../helpers/server';
import { finishedSpans } from '../helpers/tracing';

const { exporter } = tracing;

@JsonController()
class ModelController {
  @Get('/models/:id')
  get() {
    return { ok: true };
  }
}

@JsonController('/lean')
class LeanController {
  @Get('/models/:id')
  get() {
    return { ok: true };
  }
}

@NoTrace()
@JsonController()
class HealthController {
  @Get('/health')
  health() {
    return { message: 'OK' };
  }
}

// Each test runs on routing-controllers' Express driver and on its Koa driver, serving the same controllers.
const servers = new Map<ServerDriver['name'], RunningServer>();
const hookSpans: string[] = [];

test.before(async () => {
  instrumentControllers([ModelController, HealthController]);
  instrumentControllers([LeanController], {
    internalSpan: false,
    requestHook: ({ span, action }: HookInfo) => {
      span.setAttribute('hook.route', action.route);
      hookSpans.push(span.spanContext().spanId);
    },
  });
  for (const driver of SERVER_DRIVERS) {
    servers.set(driver.name, await driver.start({ controllers: [ModelController, HealthController, LeanController], routePrefix: '/api' }));
  }
});

test.after.always(async () => {
  for (const server of servers.values()) await server.close();
});

test.beforeEach(() => exporter.reset());

// fetch (undici) is not patched by instrumentation-http, so the only spans are the server's and the
// traceparent sent is the one the server sees.
async function get(driver: ServerDriver, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${servers.get(driver.name)!.url}${path}`, { headers });
  await response.arrayBuffer();
  return response.status;
}

for (const driver of SERVER_DRIVERS) {
  test.serial(`${driver.name}: with instrumentation-http on, its SERVER span gets the route and name, and the drum span is its INTERNAL child`, async (t) => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    t.is(await get(driver, '/api/models/5', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }), 200);
    const spans = await finishedSpans(exporter, 2);
    t.is(spans.length, 2);
    const serverSpans = spans.filter((span) => span.kind === SpanKind.SERVER);
    t.is(serverSpans.length, 1);
    const [http] = serverSpans;
    const drum = spans.find((span) => span.instrumentationScope.name === 'drum-otel');
    t.truthy(drum);
    t.is(http.name, 'GET /api/models/:id');
    t.is(http.attributes['http.route'], '/api/models/:id');
    t.is(drum!.name, 'drum.GET /api/models/:id');
    t.is(drum!.kind, SpanKind.INTERNAL);
    t.is(drum!.attributes['http.route'], '/api/models/:id');
    t.is(http.spanContext().traceId, traceId);
    t.is(http.parentSpanContext?.spanId, '00f067aa0ba902b7');
    t.is(drum!.spanContext().traceId, traceId);
    t.is(drum!.parentSpanContext?.spanId, http.spanContext().spanId);
    t.is(drum!.attributes['http.response.status_code'], 200);
  });

  test.serial(`${driver.name}: a @NoTrace() route still gets the http span, unnamed by drum-otel, but no drum span`, async (t) => {
    t.is(await get(driver, '/api/health'), 200);
    const spans = await finishedSpans(exporter, 2, 2000);
    t.deepEqual(spans.map((span) => [span.instrumentationScope.name, span.kind, span.name, span.attributes['http.route']]), [
      ['@opentelemetry/instrumentation-http', SpanKind.SERVER, 'GET', undefined],
    ]);
  });

  test.serial(`${driver.name}: internalSpan: false: only the http SERVER span, with the route, its name, the DRUM attributes and the hooks`, async (t) => {
    hookSpans.length = 0;
    t.is(await get(driver, '/api/lean/models/7', { 'x-datarobot-consumer-id': 'user-7' }), 200);
    const spans = await finishedSpans(exporter, 2, 2000);
    t.is(spans.length, 1);
    const [http] = spans;
    t.is(http.instrumentationScope.name, '@opentelemetry/instrumentation-http');
    t.is(http.kind, SpanKind.SERVER);
    t.is(http.name, 'GET /api/lean/models/:id');
    t.is(http.attributes['http.route'], '/api/lean/models/:id');
    t.is(http.attributes['gen_ai.request.consumer_id'], 'user-7');
    t.is(http.attributes['hook.route'], '/api/lean/models/:id');
    t.is(http.attributes['http.response.status_code'], 200);
    t.deepEqual(hookSpans, [http.spanContext().spanId]);
  });
}
