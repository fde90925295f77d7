import 'reflect-metadata';
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { setupOtel } from '../../src/setup/setup-otel';
import type { SetupOtelOptions } from '../../src/setup/types';
import { startServer } from '../helpers/server';
import { withEnv } from './support';
import { captureDiag } from '../helpers/tracing';

// What OTEL_PROPAGATORS and OTEL_TRACES_SAMPLER do to real requests of an instrumented routing-controllers
// server. Serial: each test sets up OpenTelemetry globally.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const B3_TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7';
const B3_SPAN_ID = 'e457b5a2e4d86bd1';

const HEADERS = {
  traceparent: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
  b3: { b3: `${B3_TRACE_ID}-${B3_SPAN_ID}-1` },
  b3multi: { 'X-B3-TraceId': B3_TRACE_ID, 'X-B3-SpanId': B3_SPAN_ID, 'X-B3-Sampled': '1' },
} as const;
type Carrier = keyof typeof HEADERS;

test.before(() => {
  captureDiag();
});

/**
 * A controller class of its own for each setup: instrumentation keeps the tracer of the provider that was
 * registered when its first span started, and each test registers a new one.
 */
function predictController() {
  @JsonController()
  class PredictController {
    @Get('/predict/')
    predict() {
      return { predictions: [] };
    }
  }
  return PredictController;
}

/**
 * Sets up OpenTelemetry with `variables`, sends one GET per header set to a server instrumented after that,
 * and returns the spans that were exported, in the order they ended.
 */
async function tracedRequests(
  variables: Record<string, string>,
  requests: readonly Record<string, string>[],
  options: SetupOtelOptions = {},
): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const otel = await withEnv(variables, () => setupOtel({ exporter, processor: 'simple', logLevel: 'none', ...options }));
  const server = await startServer({ controllers: instrumentControllers([predictController()]) });
  try {
    for (const headers of requests) {
      const response = await fetch(`${server.url}/predict/`, { headers });
      if (response.status !== 200) throw new Error(`GET /predict/ answered ${response.status}`);
      await response.arrayBuffer();
    }
    await otel.forceFlush();
    return exporter.getFinishedSpans();
  } finally {
    await server.close();
    await otel.shutdown();
  }
}

/** The parent each request's span got: `[trace id, parent span id]`, or `'root'` for a new trace. */
async function parents(variables: Record<string, string>, carriers: readonly Carrier[], options?: SetupOtelOptions) {
  const spans = await tracedRequests(variables, carriers.map((carrier) => HEADERS[carrier]), options);
  return spans.map((span) =>
    span.parentSpanContext === undefined ? 'root' : [span.spanContext().traceId, span.parentSpanContext.spanId],
  );
}

const ALL: readonly Carrier[] = ['traceparent', 'b3', 'b3multi'];
const FROM_TRACEPARENT = [TRACE_ID, SPAN_ID];
const FROM_B3 = [B3_TRACE_ID, B3_SPAN_ID];

test.serial('OTEL_PROPAGATORS unset or empty: traceparent and both B3 forms give the parent', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: '' }, ALL), [FROM_TRACEPARENT, FROM_B3, FROM_B3]);
});

test.serial('OTEL_PROPAGATORS=tracecontext: a request with only B3 headers starts a new trace', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: 'tracecontext' }, ALL), [FROM_TRACEPARENT, 'root', 'root']);
});

test.serial('OTEL_PROPAGATORS=b3: a request with only traceparent starts a new trace', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: 'b3' }, ALL), ['root', FROM_B3, FROM_B3]);
});

test.serial('OTEL_PROPAGATORS=none: no parent is ever taken', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: 'none' }, ALL), ['root', 'root', 'root']);
});

test.serial('OTEL_PROPAGATORS with an unknown name: the known ones still work', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: 'jaeger, B3MULTI' }, ALL), ['root', FROM_B3, FROM_B3]);
});

test.serial('the propagators option beats OTEL_PROPAGATORS', async (t) => {
  t.deepEqual(await parents({ OTEL_PROPAGATORS: 'none' }, ALL, { propagators: ['tracecontext'] }), [FROM_TRACEPARENT, 'root', 'root']);
});

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

test.serial('OTEL_TRACES_SAMPLER=always_off: no request gives an exported span, not even a sampled parent', async (t) => {
  t.deepEqual(await tracedRequests({ OTEL_TRACES_SAMPLER: 'always_off' }, [{}, {}, HEADERS.traceparent]), []);
});

test.serial('parentbased_traceidratio 0.5: about half of 400 root requests, every sampled parent, no unsampled one', async (t) => {
  const roots = Array.from({ length: 400 }, () => ({}));
  const sampledParents = Array.from({ length: 50 }, () => ({ traceparent: `00-${randomHex(16)}-${randomHex(8)}-01` }));
  const unsampledParents = Array.from({ length: 50 }, () => ({ traceparent: `00-${randomHex(16)}-${randomHex(8)}-00` }));
  const spans = await tracedRequests(
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' },
    [...roots, ...sampledParents, ...unsampledParents],
  );
  const rootSpans = spans.filter((span) => span.parentSpanContext === undefined);
  // Binomial(400, 0.5): mean 200, standard deviation 10; 120..280 is eight deviations either side.
  t.true(rootSpans.length >= 120 && rootSpans.length <= 280, `${rootSpans.length} of 400 root requests sampled`);
  t.deepEqual(
    spans.filter((span) => span.parentSpanContext !== undefined).map((span) => span.spanContext().traceId).sort(),
    sampledParents.map(({ traceparent }) => traceparent.split('-')[1]).sort(),
  );
});

test.serial('traceidratio with OTEL_TRACES_SAMPLER_ARG=0 keeps no root request', async (t) => {
  const roots = Array.from({ length: 20 }, () => ({}));
  t.deepEqual(await tracedRequests({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, roots), []);
});
