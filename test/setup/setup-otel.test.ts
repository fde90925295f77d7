import test from 'ava';
import { context, createContextKey, diag, propagation, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setupOtel } from '../../src/setup/setup-otel';
import { plainBody, type OtlpReceiver } from '../e2e/otlp-receiver';
import { exportingTo, globalTracingRecords, withEnv } from './support';
import { captureDiag } from '../helpers/tracing';

// setupOtel itself: global registration, one handle, flushing shutdown, and the variables the SDK beneath it
// reads. Serial: it owns the globals. `logLevel: 'none'` keeps the test's captureDiag logger in place.

/** An exporter that records what it was given, in batches, so that spans survive its shutdown. */
class RecordingExporter implements SpanExporter {
  readonly batches: ReadableSpan[][] = [];
  get exported(): ReadableSpan[] {
    return this.batches.flat();
  }
  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    this.batches.push(spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

const DRUM_PROPAGATOR_FIELDS = ['baggage', 'traceparent', 'tracestate', 'x-b3-flags', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid'];

test.serial('registers a provider, the propagator and an async context manager; a second call returns the same handle', async (t) => {
  const exporter = new InMemorySpanExporter();
  const otel = setupOtel({ exporter, processor: 'simple', logLevel: 'none' });
  try {
    t.like(otel, { enabled: true, disabledBy: undefined });
    t.true(otel.tracerProvider instanceof TracerProvider);
    t.is(setupOtel({ disabled: true }), otel);
    t.deepEqual(propagation.fields().sort(), DRUM_PROPAGATOR_FIELDS);
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

test.serial('OTEL_PROPAGATORS decides the registered propagator; the propagators option beats it', async (t) => {
  const fieldsWith = async (variables: Record<string, string>, propagators?: ('tracecontext' | 'b3')[]) =>
    withEnv(variables, async () => {
      const otel = setupOtel({ exporter: new InMemorySpanExporter(), logLevel: 'none', propagators });
      const fields = propagation.fields().sort();
      await otel.shutdown();
      return fields;
    });
  t.deepEqual(await fieldsWith({ OTEL_PROPAGATORS: 'tracecontext' }), ['traceparent', 'tracestate']);
  t.deepEqual(await fieldsWith({ OTEL_PROPAGATORS: 'b3' }), ['b3']);
  t.deepEqual(await fieldsWith({ OTEL_PROPAGATORS: 'none' }), []);
  t.deepEqual(await fieldsWith({ OTEL_PROPAGATORS: '' }), DRUM_PROPAGATOR_FIELDS);
  t.deepEqual(await fieldsWith({ OTEL_PROPAGATORS: 'none' }, ['b3']), ['b3']);
});

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
    [['warn', 'drum-otel: spans, metrics and log records not exported within 100 ms of shutdown are dropped']],
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

test.serial('an invalid option throws naming it and registers nothing; a later correct call works', async (t) => {
  t.throws(() => setupOtel({ processor: 'fast' as 'batch', logLevel: 'none' }), {
    message: `setupOtel: option processor is invalid ("fast"); expected 'batch' or 'simple'`,
  });
  t.false(globalTracingRecords());
  t.deepEqual(propagation.fields(), []);
  const otel = setupOtel({ logLevel: 'none' });
  t.true(otel.enabled);
  await otel.shutdown();
});

test.serial('invalid variables do not stop setupOtel: each is one diag warning, before what the SDK says', async (t) => {
  const records = captureDiag();
  const env = {
    OTEL_SDK_DISABLED: 'yes',
    OTEL_PROPAGATORS: 'tracecontext,jaeger',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzp',
  };
  const otel = await withEnv(env, () => setupOtel({ logLevel: 'none' }));
  t.true(otel.enabled);
  t.deepEqual(propagation.fields().sort(), ['traceparent', 'tracestate']);
  await otel.shutdown();
  t.deepEqual(
    records.map((record) => [record.level, record.message]),
    [
      ['warn', 'setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false; using false'],
      ['warn', 'setupOtel: OTEL_PROPAGATORS="tracecontext,jaeger" names "jaeger", not one of tracecontext, baggage, b3, b3multi, none; skipped'],
      ['warn', "Configuration: OTEL_EXPORTER_OTLP_COMPRESSION is invalid, expected 'none' or 'gzip' (actual: 'gzp')"],
    ],
  );
});

for (const [variables, disabledBy] of [
  [{ OTEL_SDK_DISABLED: 'true' }, 'OTEL_SDK_DISABLED'],
  [{ MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '{"type":"boolean","payload":true}' }, 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED'],
] as const) {
  test.serial(`${Object.keys(variables)[0]}: a disabled handle saying so, nothing registered, the same handle twice`, async (t) => {
    await withEnv(variables, async () => {
      const otel = setupOtel();
      t.like(otel, { enabled: false, disabledBy, tracerProvider: undefined });
      t.is(setupOtel(), otel);
      t.false(globalTracingRecords());
      t.deepEqual(propagation.fields(), []);
      await otel.forceFlush();
      await otel.shutdown();
      const again = setupOtel();
      t.not(again, otel, 'shutdown() of the disabled handle lets a later call decide again');
      await again.shutdown();
    });
  });
}

test.serial('the disabled option: a handle disabled by it', async (t) => {
  const otel = setupOtel({ disabled: true });
  t.like(otel, { enabled: false, disabledBy: 'disabled option' });
  await otel.shutdown();
});

test.serial('a tracer provider registered by someone else: setupOtel throws and leaves it, and the diag logger, alone', async (t) => {
  const theirs = new TracerProvider();
  t.true(trace.setGlobalTracerProvider(theirs));
  const records = captureDiag();
  try {
    t.throws(() => setupOtel({ logLevel: 'debug' }), {
      message: 'setupOtel: a tracer provider is already registered globally; setupOtel was not applied',
    });
    t.deepEqual(propagation.fields(), []);
    diag.warn('still theirs');
    t.deepEqual(records.map((record) => record.message), ['still theirs']);
  } finally {
    trace.disable();
  }
});

/** Ends one span named `exported` while set up with `variables`, against a fresh receiver. */
function exportOneSpan(variables: (receiver: OtlpReceiver) => Record<string, string>): Promise<OtlpReceiver> {
  return exportingTo(variables, () => trace.getTracer('setup-test').startSpan('exported').end());
}

test.serial('the OTLP exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (v1/traces appended to its path) and the headers', async (t) => {
  const receiver = await exportOneSpan((receiver) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/otel/`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme%20corp,x-general=1',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
    OTEL_SERVICE_NAME: 'setup-test',
  }));
  t.is(receiver.exports.length, 1);
  const [received] = receiver.exports;
  t.is(received.path, '/otel/v1/traces');
  t.is(received.contentType, 'application/json');
  t.like(received.headers, { 'x-tenant': 'traces', 'x-general': '1' });
  t.deepEqual(receiver.spans().map((span) => [span.name, span.resource[ATTR_SERVICE_NAME]]), [['exported', 'setup-test']]);
});

test.serial('the OTLP exporter reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, and gzip compression', async (t) => {
  const receiver = await exportOneSpan((receiver) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/path`,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
  }));
  t.deepEqual(receiver.exports.map((received) => [received.path, received.headers['content-encoding']]), [['/custom/path', 'gzip']]);
  t.deepEqual(receiver.spans().map((span) => span.name), ['exported']);
  t.true(plainBody(receiver.exports[0]).length > receiver.exports[0].body.length);
});

test.serial('the OTLP exporter reads OTEL_EXPORTER_OTLP_CERTIFICATE and warns when it cannot', async (t) => {
  const records = captureDiag();
  const otel = await withEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' }, () =>
    setupOtel({ logLevel: 'none' }),
  );
  await otel.shutdown();
  t.deepEqual(records.map((record) => record.message), ['Failed to read root certificate file']);
});

test.serial('setupOtel reads OTEL_BSP_MAX_EXPORT_BATCH_SIZE: batches of that size', async (t) => {
  const exporter = new RecordingExporter();
  const otel = await withEnv({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2' }, () => setupOtel({ exporter, logLevel: 'none' }));
  for (let i = 0; i < 5; i++) trace.getTracer('setup-test').startSpan(`span-${i}`).end();
  await otel.shutdown();
  t.deepEqual(exporter.batches.map((batch) => batch.length), [2, 2, 1]);
});

test.serial('an OTEL_BSP_* that is no number: one warning from setupOtel, the default kept', async (t) => {
  const records = captureDiag();
  const exporter = new RecordingExporter();
  const otel = await withEnv({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'two' }, () => setupOtel({ exporter, logLevel: 'none' }));
  for (let i = 0; i < 5; i++) trace.getTracer('setup-test').startSpan(`span-${i}`).end();
  await otel.shutdown();
  t.deepEqual(exporter.batches.map((batch) => batch.length), [5]);
  t.deepEqual(records.map((record) => [record.level, record.message]), [
    ['warn', 'setupOtel: OTEL_BSP_MAX_EXPORT_BATCH_SIZE="two" is invalid; expected a whole number above 0; using 512'],
  ]);
});

test.serial('OTEL_BSP_SCHEDULE_DELAY of an hour: nothing leaves before shutdown, which exports every span over OTLP', async (t) => {
  let before = -1;
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '3600000' }),
    async (receiver) => {
      for (let i = 0; i < 3; i++) trace.getTracer('setup-test').startSpan(`held-${i}`).end();
      await new Promise((resolve) => setImmediate(resolve));
      before = receiver.exports.length;
    },
  );
  t.is(before, 0);
  t.deepEqual(receiver.spans().map((span) => span.name), ['held-0', 'held-1', 'held-2']);
});

test.serial('setupOtel reads OTEL_TRACES_SAMPLER and the span limits; an unknown sampler is one warning, the default used', async (t) => {
  const records = captureDiag();
  const dropping = new RecordingExporter();
  const off = await withEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, () => setupOtel({ exporter: dropping, logLevel: 'none' }));
  const dropped = trace.getTracer('setup-test').startSpan('dropped');
  t.false(dropped.isRecording());
  dropped.end();
  await off.shutdown();
  t.deepEqual(dropping.exported, []);

  const keeping = new RecordingExporter();
  const env = {
    OTEL_TRACES_SAMPLER: 'sometimes',
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4',
    OTEL_SPAN_EVENT_COUNT_LIMIT: '1',
  };
  const on = await withEnv(env, () => setupOtel({ exporter: keeping, logLevel: 'none' }));
  const kept = trace.getTracer('setup-test').startSpan('kept', { attributes: { a: 'abcdefgh', b: 2, c: 3 } });
  kept.addEvent('first');
  kept.addEvent('second');
  kept.end();
  await on.shutdown();
  t.deepEqual(
    keeping.exported.map((span) => [span.name, span.attributes, span.events.map((event) => event.name)]),
    [['kept', { a: 'abcd', b: 2 }, ['second']]],
  );
  t.deepEqual(records.map((record) => [record.level, record.message]), [
    [
      'warn',
      'setupOtel: OTEL_TRACES_SAMPLER="sometimes" is invalid; expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; using parentbased_always_on',
    ],
    ['warn', 'Dropped 1 events because eventCountLimit reached'],
  ]);
});

test.serial('OTEL_TRACES_EXPORTER naming no known exporter: one warning, and spans are exported over OTLP all the same', async (t) => {
  const records = captureDiag();
  const receiver = await exportingTo(
    (receiver) => ({ OTEL_TRACES_EXPORTER: 'otlpp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    () => trace.getTracer('setup-test').startSpan('exported').end(),
  );
  t.deepEqual(receiver.spans().map((span) => span.name), ['exported']);
  t.deepEqual(records.map((record) => record.message), [
    'setupOtel: OTEL_TRACES_EXPORTER="otlpp" names "otlpp", not one of otlp, console, none; using otlp',
  ]);
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
    [['error', 'drum-otel: OpenTelemetry SDK error (usually a failed export): connect ECONNREFUSED 127.0.0.1:4318']],
  );
});
