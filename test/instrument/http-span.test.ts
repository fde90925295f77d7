import { tracing } from '../fixtures/http-instrumentation';
import 'reflect-metadata';
import test from 'ava';
import { SpanKind } from '@opentelemetry/api';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers, NoTrace } from '../../src';
import { startServer, type RunningServer } from '../helpers/server';
import { finishedSpans } from '../helpers/tracing';

const { exporter } = tracing;

@JsonController()
class ModelController {
  @Get('/models/:id')
  get() {
    return { ok: true };
  }
}

@NoTrace()
@JsonController()
class HealthController {
  @Get('/health/')
  health() {
    return { message: 'OK' };
  }
}

let server: RunningServer;

test.before(async () => {
  server = await startServer({ controllers: instrumentControllers([ModelController, HealthController]) });
});

test.after.always(async () => {
  await server?.close();
});

test.beforeEach(() => exporter.reset());

// fetch (undici) is not patched by instrumentation-http, so the only spans are the server's and the
// traceparent sent is the one the server sees.
async function get(path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${server.url}${path}`, { headers });
  await response.arrayBuffer();
  return response.status;
}

test.serial('with instrumentation-http on, the drum span is an INTERNAL child of the one http SERVER span', async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  t.is(await get('/models/5', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }), 200);
  const spans = await finishedSpans(exporter, 2);
  t.is(spans.length, 2);
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  t.is(servers.length, 1);
  const [http] = servers;
  const drum = spans.find((span) => span.instrumentationScope.name === 'drum-otel');
  t.truthy(drum);
  t.is(drum!.name, 'drum.GET /models/:id');
  t.is(drum!.kind, SpanKind.INTERNAL);
  t.is(http.spanContext().traceId, traceId);
  t.is(http.parentSpanContext?.spanId, '00f067aa0ba902b7');
  t.is(drum!.spanContext().traceId, traceId);
  t.is(drum!.parentSpanContext?.spanId, http.spanContext().spanId);
  t.is(drum!.attributes['http.response.status_code'], 200);
});

test.serial('a @NoTrace() route still gets the http span, but no drum span', async (t) => {
  t.is(await get('/health/'), 200);
  const spans = await finishedSpans(exporter, 2, 300);
  t.is(spans.length, 1);
  t.deepEqual(spans.map((span) => [span.instrumentationScope.name, span.kind]), [['@opentelemetry/instrumentation-http', SpanKind.SERVER]]);
});
