import test from 'ava';
import {
  context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  type SpanContext,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { parseHeaderList, planSetup, type Environment, type SetupPlan } from '../../src/setup/plan';
import { createPropagator } from '../../src/setup/propagator';
import { createResource } from '../../src/setup/resource';
import { setupOtel } from '../../src/setup/setup-otel';
import type { SetupOtelOptions } from '../../src/setup/types';
import { startReceiver } from '../e2e/otlp-receiver';
import { captureDiag } from '../helpers/tracing';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const B3_TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const B3_SPAN_ID = 'a2fb4a1d1a96d312';

function enabledPlan(env: Environment, options?: SetupOtelOptions): Extract<SetupPlan, { enabled: true }> {
  const plan = planSetup(env, options);
  if (!plan.enabled) throw new Error('expected an enabled plan');
  return plan;
}

/** Asserts that `env` makes planSetup throw exactly `message`. */
function rejects(t: import('ava').ExecutionContext, env: Environment, message: string, options?: SetupOtelOptions): void {
  t.throws(() => planSetup(env, options), { message });
}

// ---------------------------------------------------------------------------------------------------------
// The plan: pure functions of the environment and the options.

test('with nothing set: enabled, batch processor, no exporter, warn logging, 5 s shutdown bound', (t) => {
  t.deepEqual(planSetup({}), {
    enabled: true,
    serviceName: undefined,
    resourceAttributes: {},
    exporters: [],
    processor: 'batch',
    batch: {},
    logLevel: 'warn',
    shutdownTimeoutMillis: 5000,
  });
});

test('OTEL_SDK_DISABLED=true (any case) disables; the disabled plan reads no other variable', (t) => {
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'true' }), { enabled: false });
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'zipkin' }), { enabled: false });
  t.true(planSetup({ OTEL_SDK_DISABLED: 'false' }).enabled);
  t.true(planSetup({ OTEL_SDK_DISABLED: '' }).enabled);
  rejects(t, { OTEL_SDK_DISABLED: 'yes' }, 'setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false');
});

test('the disabled option overrides OTEL_SDK_DISABLED both ways', (t) => {
  t.true(planSetup({ OTEL_SDK_DISABLED: 'true' }, { disabled: false }).enabled);
  t.false(planSetup({}, { disabled: true }).enabled);
});

test('an OTLP endpoint alone selects the otlp exporter, http/protobuf, with v1/traces appended', (t) => {
  const plan = enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
  t.deepEqual(plan.exporters, [
    { kind: 'otlp', otlp: { url: 'http://collector:4318/v1/traces', protocol: 'http/protobuf', headers: {} } },
  ]);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT keeps its path and loses trailing slashes before v1/traces', (t) => {
  const url = (endpoint: string) => {
    const [exporter] = enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).exporters;
    return exporter.kind === 'otlp' ? exporter.otlp.url : undefined;
  };
  t.is(url('https://otel.example.com/'), 'https://otel.example.com/v1/traces');
  t.is(url('http://10.0.0.1:4318/otel//'), 'http://10.0.0.1:4318/otel/v1/traces');
});

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is and wins over the general endpoint', (t) => {
  const [exporter] = enabledPlan({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom/path',
  }).exporters;
  t.deepEqual(exporter, {
    kind: 'otlp',
    otlp: { url: 'http://traces:9999/custom/path', protocol: 'http/protobuf', headers: {} },
  });
});

test('OTEL_TRACES_EXPORTER=otlp without an endpoint posts to the spec default', (t) => {
  const [exporter] = enabledPlan({ OTEL_TRACES_EXPORTER: 'otlp' }).exporters;
  t.is(exporter.kind === 'otlp' ? exporter.otlp.url : '', 'http://localhost:4318/v1/traces');
});

test('malformed endpoints name the variable and the value', (t) => {
  rejects(
    t,
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector 4318' },
    'setupOtel: OTEL_EXPORTER_OTLP_ENDPOINT="collector 4318" is invalid; expected an absolute http:// or https:// URL',
  );
  rejects(
    t,
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' },
    'setupOtel: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="grpc://collector:4317" is invalid; expected an absolute http:// or https:// URL',
  );
});

test('OTEL_TRACES_EXPORTER: console, a list, none, and unknown names', (t) => {
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'console' }).exporters, [{ kind: 'console' }]);
  t.deepEqual(
    enabledPlan({ OTEL_TRACES_EXPORTER: 'console, otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).exporters.map((e) => e.kind),
    ['console', 'otlp'],
  );
  // none wins over an endpoint: the endpoint is then not even parsed.
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).exporters, []);
  rejects(
    t,
    { OTEL_TRACES_EXPORTER: 'otlp,zipkin' },
    'setupOtel: OTEL_TRACES_EXPORTER="otlp,zipkin" is invalid; "zipkin" is not one of otlp, console, none',
  );
  rejects(
    t,
    { OTEL_TRACES_EXPORTER: 'none,console' },
    'setupOtel: OTEL_TRACES_EXPORTER="none,console" is invalid; none cannot be combined with other exporters',
  );
});

test('OTEL_EXPORTER_OTLP_PROTOCOL: http/json, the traces-specific variable first, grpc refused', (t) => {
  const protocol = (env: Environment) => {
    const [exporter] = enabledPlan({ OTEL_TRACES_EXPORTER: 'otlp', ...env }).exporters;
    return exporter.kind === 'otlp' ? exporter.otlp.protocol : undefined;
  };
  t.is(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), 'http/json');
  t.is(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }), 'http/protobuf');
  rejects(
    t,
    { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    'setupOtel: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is invalid; expected http/protobuf or http/json (grpc is not supported)',
  );
});

test('OTLP headers: percent-decoded, traces-specific ones win, malformed entries rejected', (t) => {
  const [exporter] = enabledPlan({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc%3D, x-tenant=general,,',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
  }).exporters;
  t.deepEqual(exporter.kind === 'otlp' ? exporter.otlp.headers : undefined, {
    Authorization: 'Bearer abc=',
    'x-tenant': 'traces',
  });
  t.throws(() => parseHeaderList('OTEL_EXPORTER_OTLP_HEADERS', 'api-key'), {
    message: 'setupOtel: OTEL_EXPORTER_OTLP_HEADERS="api-key" is invalid; entry "api-key" is not name=value with a valid header name',
  });
  t.throws(() => parseHeaderList('OTEL_EXPORTER_OTLP_HEADERS', 'bad name=1'), {
    message: 'setupOtel: OTEL_EXPORTER_OTLP_HEADERS="bad name=1" is invalid; entry "bad name=1" is not name=value with a valid header name',
  });
  t.throws(() => parseHeaderList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'a=%zz'), {
    message: 'setupOtel: OTEL_EXPORTER_OTLP_TRACES_HEADERS="a=%zz" is invalid; "%zz" is not valid percent-encoding',
  });
});

test('OTEL_BSP_* tune the batch processor; non-numbers are rejected', (t) => {
  t.deepEqual(
    enabledPlan({ OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10' }).batch,
    { scheduledDelayMillis: 0, maxQueueSize: 100, maxExportBatchSize: 10 },
  );
  rejects(t, { OTEL_BSP_EXPORT_TIMEOUT: '0' }, 'setupOtel: OTEL_BSP_EXPORT_TIMEOUT="0" is invalid; expected a whole number >= 1');
  rejects(t, { OTEL_BSP_SCHEDULE_DELAY: '1.5s' }, 'setupOtel: OTEL_BSP_SCHEDULE_DELAY="1.5s" is invalid; expected a whole number >= 0');
});

test('OTEL_LOG_LEVEL in any case; unknown levels rejected; the option wins', (t) => {
  t.is(enabledPlan({ OTEL_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
  t.is(enabledPlan({ OTEL_LOG_LEVEL: 'DEBUG' }, { logLevel: 'none' }).logLevel, 'none');
  rejects(
    t,
    { OTEL_LOG_LEVEL: 'loud' },
    'setupOtel: OTEL_LOG_LEVEL="loud" is invalid; expected one of none, error, warn, info, debug, verbose, all',
  );
});

test('malformed OTEL_RESOURCE_ATTRIBUTES is rejected instead of being silently dropped', (t) => {
  t.true(planSetup({ OTEL_RESOURCE_ATTRIBUTES: 'team=ml,region=eu%2Dwest' }).enabled);
  rejects(
    t,
    { OTEL_RESOURCE_ATTRIBUTES: 'team=ml,url=a=b' },
    'setupOtel: OTEL_RESOURCE_ATTRIBUTES="team=ml,url=a=b" is invalid; entry "url=a=b" is not key=value (percent-encode , and =)',
  );
});

test('options override the environment: exporter, processor, serviceName', (t) => {
  const exporter = new InMemorySpanExporter();
  const plan = enabledPlan(
    { OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'from-env' },
    { exporter, processor: 'simple', serviceName: 'from-option', resourceAttributes: { team: 'ml' } },
  );
  t.deepEqual(plan.exporters, [{ kind: 'given', exporter }]);
  t.is(plan.processor, 'simple');
  t.is(plan.serviceName, 'from-option');
  t.deepEqual(plan.resourceAttributes, { team: 'ml' });
});

test('invalid options name the option', (t) => {
  rejects(t, {}, `setupOtel: option processor is invalid ("fast"); expected 'batch' or 'simple'`, {
    processor: 'fast' as 'batch',
  });
  rejects(t, {}, 'setupOtel: option serviceName is invalid (" "); expected a non-empty string', { serviceName: ' ' });
  rejects(t, {}, 'setupOtel: option shutdownTimeoutMillis is invalid (number -1); expected a positive number of milliseconds', {
    shutdownTimeoutMillis: -1,
  });
  const exporter = new InMemorySpanExporter();
  rejects(t, {}, 'setupOtel: option spanProcessor replaces exporter and processor; give either spanProcessor or those', {
    exporter,
    spanProcessor: { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} },
  });
});

// ---------------------------------------------------------------------------------------------------------
// Resource and propagator.

/** Sets variables for the duration of `run`, restoring what was there before. */
async function withEnv<T>(variables: Environment, run: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const assign = (values: Environment) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  assign(variables);
  try {
    return await run();
  } finally {
    assign(saved);
  }
}

async function settledAttributes(serviceName: string | undefined, attributes = {}) {
  const resource = createResource(serviceName, attributes);
  await resource.waitForAsyncAttributes?.();
  return resource.attributes;
}

test.serial('resource: service.name drum by default, then OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, the option', async (t) => {
  await withEnv({ OTEL_SERVICE_NAME: undefined, OTEL_RESOURCE_ATTRIBUTES: undefined }, async () => {
    const attributes = await settledAttributes(undefined);
    t.is(attributes[ATTR_SERVICE_NAME], 'drum');
    t.is(attributes['telemetry.sdk.language'], 'nodejs');
    t.is(attributes['process.pid'], process.pid);
  });
  await withEnv({ OTEL_SERVICE_NAME: undefined, OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name,team=ml' }, async () => {
    const attributes = await settledAttributes(undefined);
    t.is(attributes[ATTR_SERVICE_NAME], 'attr-name');
    t.is(attributes.team, 'ml');
  });
  await withEnv({ OTEL_SERVICE_NAME: 'env-name', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name' }, async () => {
    t.is((await settledAttributes(undefined))[ATTR_SERVICE_NAME], 'env-name');
    const overridden = await settledAttributes('option-name', { team: 'option' });
    t.is(overridden[ATTR_SERVICE_NAME], 'option-name');
    t.is(overridden.team, 'option');
  });
});

function extractedParent(headers: Record<string, string>): SpanContext | undefined {
  return trace.getSpanContext(createPropagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

test('propagator: traceparent, B3 single header and B3 multi headers each give the parent', (t) => {
  t.like(extractedParent({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` }), { traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
  t.like(extractedParent({ b3: `${B3_TRACE_ID}-${B3_SPAN_ID}-1` }), { traceId: B3_TRACE_ID, spanId: B3_SPAN_ID });
  t.like(extractedParent({ 'x-b3-traceid': B3_TRACE_ID, 'x-b3-spanid': B3_SPAN_ID, 'x-b3-sampled': '1' }), {
    traceId: B3_TRACE_ID,
    spanId: B3_SPAN_ID,
  });
  t.is(extractedParent({}), undefined);
});

test('propagator: traceparent wins over B3 when a request carries both; baggage is extracted', (t) => {
  const headers = {
    traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
    'x-b3-traceid': B3_TRACE_ID,
    'x-b3-spanid': B3_SPAN_ID,
    baggage: 'tenant=acme',
  };
  const extracted = createPropagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  t.like(trace.getSpanContext(extracted), { traceId: TRACE_ID, spanId: SPAN_ID });
  t.is(propagation.getBaggage(extracted)?.getEntry('tenant')?.value, 'acme');
});

test('propagator: injects traceparent and the B3 multi headers', (t) => {
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  const carrier: Record<string, string> = {};
  createPropagator().inject(parent, carrier, defaultTextMapSetter);
  t.is(carrier.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
  t.is(carrier['x-b3-traceid'], TRACE_ID);
  t.is(carrier['x-b3-spanid'], SPAN_ID);
  t.is(carrier['x-b3-sampled'], '1');
  t.false('b3' in carrier);
});

// ---------------------------------------------------------------------------------------------------------
// setupOtel itself: global registration, one handle, flushing shutdown. Serial: it owns the globals.

/** Whether a span started through the global API now records (a real provider is registered). */
function globalTracingRecords(): boolean {
  const span = trace.getTracer('probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  return recording;
}

test.serial('registers a provider, the propagator and an async context manager; a second call returns the same handle', async (t) => {
  const exporter = new InMemorySpanExporter();
  const otel = setupOtel({ exporter, processor: 'simple', logLevel: 'none' });
  try {
    t.true(otel.enabled);
    t.true(otel.tracerProvider instanceof NodeTracerProvider);
    t.is(setupOtel({ disabled: true }), otel);
    t.deepEqual(propagation.fields().sort(), ['baggage', 'traceparent', 'tracestate', 'x-b3-flags', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid'].sort());
    const key = createContextKey('request');
    const tracer = trace.getTracer('setup-test');
    await tracer.startActiveSpan('drum.invocations', async (span) => {
      await context.with(context.active().setValue(key, 'r1'), async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        t.is(context.active().getValue(key), 'r1', 'the context survives an await: AsyncLocalStorage is enabled');
        tracer.startSpan('child').end();
      });
      span.end();
    });
    await otel.forceFlush();
    const spans = exporter.getFinishedSpans();
    t.deepEqual(spans.map((span) => span.name).sort(), ['child', 'drum.invocations']);
    const parent = spans.find((span) => span.name === 'drum.invocations')!;
    t.is(spans.find((span) => span.name === 'child')!.parentSpanContext?.spanId, parent.spanContext().spanId);
    t.is(parent.resource.attributes[ATTR_SERVICE_NAME], 'drum');
  } finally {
    await otel.shutdown();
  }
  t.false(globalTracingRecords(), 'shutdown unregisters the provider');
  t.deepEqual(propagation.fields(), [], 'shutdown unregisters the propagator');
});

/** An exporter that records what it was given, so that spans survive its shutdown. */
class RecordingExporter implements SpanExporter {
  readonly exported: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    this.exported.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

test.serial('shutdown() exports every span that ended, through the batch processor', async (t) => {
  const exporter = new RecordingExporter();
  const otel = setupOtel({ exporter, logLevel: 'none' });
  const tracer = trace.getTracer('setup-test');
  for (let i = 0; i < 700; i++) tracer.startSpan(`span-${i}`).end();
  const shutdown = otel.shutdown();
  t.is(otel.shutdown(), shutdown, 'shutdown() twice is one shutdown');
  await shutdown;
  t.is(exporter.exported.length, 700);
  t.deepEqual(exporter.exported.map((span) => span.name).slice(-2), ['span-698', 'span-699']);
});

test.serial('shutdown() exports the span that just ended, with the simple processor too', async (t) => {
  const exporter = new RecordingExporter();
  const otel = setupOtel({ exporter, processor: 'simple', logLevel: 'none' });
  trace.getTracer('setup-test').startSpan('last').end();
  await otel.shutdown();
  t.deepEqual(exporter.exported.map((span) => span.name), ['last']);
});

test.serial('shutdown() gives up on an exporter that never answers after shutdownTimeoutMillis, and says so', async (t) => {
  const records = captureDiag();
  const exporter: SpanExporter = { export() {}, shutdown: () => new Promise<void>(() => {}) };
  const otel = setupOtel({ exporter, logLevel: 'none', shutdownTimeoutMillis: 100 });
  trace.getTracer('setup-test').startSpan('stuck').end();
  const outcome = await Promise.race([
    otel.shutdown().then(() => 'finished'),
    new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting')),
  ]);
  t.is(outcome, 'finished');
  t.deepEqual(
    records.map((record) => [record.level, record.message]),
    [['warn', 'drum-otel: spans not exported within 100 ms of shutdown are dropped']],
  );
  t.false(globalTracingRecords());
});

test.serial('after shutdown() a new setupOtel() call sets up anew', async (t) => {
  const first = setupOtel({ exporter: new InMemorySpanExporter(), logLevel: 'none' });
  await first.shutdown();
  const second = setupOtel({ exporter: new InMemorySpanExporter(), logLevel: 'none' });
  t.not(second, first);
  t.true(globalTracingRecords());
  await second.shutdown();
});

test.serial('bad configuration throws naming the variable and registers nothing', async (t) => {
  await withEnv({ OTEL_TRACES_EXPORTER: 'jaeger' }, () => {
    t.throws(() => setupOtel(), {
      message: 'setupOtel: OTEL_TRACES_EXPORTER="jaeger" is invalid; "jaeger" is not one of otlp, console, none',
    });
  });
  t.false(globalTracingRecords());
  t.deepEqual(propagation.fields(), []);
  // Nothing half-done blocks a correct call afterwards.
  const otel = setupOtel({ logLevel: 'none' });
  t.true(otel.enabled);
  await otel.shutdown();
});

test.serial('OTEL_SDK_DISABLED=true: a disabled handle, nothing registered, the same handle twice', async (t) => {
  await withEnv({ OTEL_SDK_DISABLED: 'true' }, async () => {
    const otel = setupOtel();
    t.false(otel.enabled);
    t.is(otel.tracerProvider, undefined);
    t.is(setupOtel(), otel);
    t.false(globalTracingRecords());
    await otel.forceFlush();
    await otel.shutdown();
    const again = setupOtel();
    t.not(again, otel, 'shutdown() of the disabled handle lets a later call decide again');
    await again.shutdown();
  });
});

test.serial('a tracer provider registered by someone else: setupOtel throws and leaves it alone', async (t) => {
  const theirs = new NodeTracerProvider();
  t.true(trace.setGlobalTracerProvider(theirs));
  captureDiag(); // the API reports the duplicate registration through diag
  try {
    t.throws(() => setupOtel({ logLevel: 'none' }), {
      message: 'setupOtel: a tracer provider is already registered globally; setupOtel was not applied',
    });
    t.deepEqual(propagation.fields(), []);
  } finally {
    trace.disable();
  }
});

test.serial('the otlp exporter posts http/json to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with OTEL_EXPORTER_OTLP_HEADERS', async (t) => {
  const receiver = await startReceiver();
  try {
    await withEnv(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme%20corp',
        OTEL_SERVICE_NAME: 'setup-test',
      },
      async () => {
        const otel = setupOtel({ logLevel: 'none' });
        trace.getTracer('setup-test').startSpan('exported').end();
        await otel.shutdown();
      },
    );
    t.is(receiver.exports.length, 1);
    const [received] = receiver.exports;
    t.is(received.path, '/v1/traces');
    t.is(received.contentType, 'application/json');
    t.is(received.headers['x-tenant'], 'acme corp');
    const spans = receiver.spans();
    t.deepEqual(spans.map((span) => [span.name, span.resource[ATTR_SERVICE_NAME]]), [['exported', 'setup-test']]);
  } finally {
    await receiver.close();
  }
});

test.serial('SDK errors (failed exports) reach diag as one line each, not as a JSON dump with a stack', async (t) => {
  const records = captureDiag();
  const failing: SpanExporter = {
    export(_spans, done) {
      done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') });
    },
    shutdown: async () => {},
  };
  // The batch processor's own timer exports: that path reports through the global error handler.
  const otel = await withEnv({ OTEL_BSP_SCHEDULE_DELAY: '1' }, () => setupOtel({ exporter: failing, logLevel: 'none' }));
  trace.getTracer('setup-test').startSpan('lost').end();
  const deadline = Date.now() + 5000;
  while (records.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  await otel.shutdown();
  t.deepEqual(
    records.map((record) => [record.level, record.message]),
    [['error', 'drum-otel: OpenTelemetry SDK error (usually a failed span export): connect ECONNREFUSED 127.0.0.1:4318']],
  );
});
