import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logs, metrics, propagation, SeverityNumber, trace } from '@opentelemetry/api';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Environment } from '../../src/setup/environment';
import { planSetup } from '../../src/setup/plan';
import { setupOtel } from '../../src/setup/setup-otel';
import type { SetupOtelOptions } from '../../src/setup/types';
import { startReceiver, type OtlpReceiver } from '../e2e/otlp-receiver';
import { exportedLogRecords, globalTracingRecords, withEnv } from './support';
import { captureDiag } from '../helpers/tracing';

// OTEL_CONFIG_FILE: real YAML files, the real SDK (sdk-node's startNodeSdk) and a loopback OTLP receiver.
// Serial where it owns the globals.

const directory = mkdtempSync(join(tmpdir(), 'drum-otel-config-'));
let files = 0;

/** Writes `yaml` to a new file of the temp directory; returns its path. */
function configFile(yaml: string): string {
  const path = join(directory, `otel-${++files}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** A file exporting spans with the simple processor to `endpoint` in `encoding`, with `extra` YAML after. */
function tracesFile(endpoint: string, encoding: 'json' | 'protobuf', extra = ''): string {
  return configFile(`file_format: "1.0"
log_level: error
resource:
  attributes:
    - name: service.name
      value: from-config-file
tracer_provider:
  processors:
    - simple:
        exporter:
          otlp_http:
            endpoint: ${endpoint}
            encoding: ${encoding}
${extra}`);
}

// A test that failed half-way leaves its setup to this: setupOtel returns the current handle, if any.
test.afterEach.always(async () => {
  await setupOtel({ disabled: true }).shutdown();
});

/** Variables that would configure a different setup, which the file must win over. */
const IGNORED_VARIABLES: Environment = {
  OTEL_SERVICE_NAME: 'from-environment',
  OTEL_TRACES_SAMPLER: 'always_off',
  OTEL_PROPAGATORS: 'jaeger',
  OTEL_TRACES_EXPORTER: 'console',
};

/** Runs `during` with a fresh receiver and `variables` set for it, closing the receiver after. */
async function withReceiver(
  variables: (receiver: OtlpReceiver) => Environment,
  during: (receiver: OtlpReceiver) => Promise<void>,
): Promise<OtlpReceiver> {
  const receiver = await startReceiver();
  try {
    await withEnv(variables(receiver), () => during(receiver));
  } finally {
    await receiver.close();
  }
  return receiver;
}

test.serial('a span made through the global API arrives as the file says (http/json), with the service name of its resource', async (t) => {
  const receiver = await withReceiver(
    (receiver) => ({ ...IGNORED_VARIABLES, OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/file/v1/traces`, 'json') }),
    async () => {
      const otel = setupOtel();
      t.like(otel, { enabled: true, disabledBy: undefined, meterProvider: undefined, loggerProvider: undefined });
      t.true(otel.tracerProvider instanceof TracerProvider);
      t.is((trace.getTracerProvider() as unknown as { getDelegate(): unknown }).getDelegate(), otel.tracerProvider);
      t.is(setupOtel(), otel, 'a second call returns the same handle');
      trace.getTracer('config-file-test').startSpan('from-file').end();
      await otel.shutdown();
    },
  );
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]), [['/file/v1/traces', 'application/json']]);
  t.deepEqual(receiver.spans().map((span) => [span.name, span.resource[ATTR_SERVICE_NAME]]), [['from-file', 'from-config-file']]);
});

test.serial('http/protobuf as the file says; no propagator unless the file names one', async (t) => {
  const receiver = await withReceiver(
    (receiver) => ({ OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/v1/traces`, 'protobuf') }),
    async () => {
      const otel = setupOtel();
      t.deepEqual(propagation.fields(), []);
      trace.getTracer('config-file-test').startSpan('protobuf-span').end();
      await otel.shutdown();
    },
  );
  t.deepEqual(receiver.exports.map((received) => [received.path, received.contentType]), [['/v1/traces', 'application/x-protobuf']]);
  t.true(receiver.exports[0].body.includes('protobuf-span'));
});

test.serial("the file's sampler (always_off) and propagators are honoured", async (t) => {
  const extra = `  sampler:
    always_off:
propagator:
  composite:
    - tracecontext:
`;
  const receiver = await withReceiver(
    (receiver) => ({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/v1/traces`, 'json', extra) }),
    async () => {
      const otel = setupOtel();
      t.deepEqual(propagation.fields().sort(), ['traceparent', 'tracestate']);
      const span = trace.getTracer('config-file-test').startSpan('dropped');
      t.false(span.isRecording());
      span.end();
      await otel.shutdown();
    },
  );
  t.deepEqual(receiver.exports, []);
});

test.serial('${VAR} and ${VAR:-default} in the file are replaced from the environment', async (t) => {
  const file = configFile(`file_format: "1.0"
log_level: error
resource:
  attributes:
    - name: service.name
      value: \${DRUM_OTEL_TEST_SERVICE}
    - name: deployment.environment.name
      value: \${DRUM_OTEL_TEST_UNSET:-staging}
tracer_provider:
  processors:
    - simple:
        exporter:
          otlp_http:
            endpoint: \${DRUM_OTEL_TEST_RECEIVER}/v1/traces
            encoding: json
`);
  const receiver = await withReceiver(
    (receiver) => ({ OTEL_CONFIG_FILE: file, DRUM_OTEL_TEST_SERVICE: 'substituted', DRUM_OTEL_TEST_UNSET: undefined, DRUM_OTEL_TEST_RECEIVER: receiver.url }),
    async () => {
      const otel = setupOtel();
      trace.getTracer('config-file-test').startSpan('substituted-span').end();
      await otel.shutdown();
    },
  );
  const [span] = receiver.spans();
  t.like(span?.resource, { [ATTR_SERVICE_NAME]: 'substituted', 'deployment.environment.name': 'staging' });
});

test.serial('metrics and log records of the file: the handle holds the registered providers; shutdown exports the last and unregisters them', async (t) => {
  const extra = `meter_provider:
  readers:
    - periodic:
        interval: 3600000
        exporter:
          otlp_http:
            endpoint: \${DRUM_OTEL_TEST_RECEIVER}/v1/metrics
            encoding: json
logger_provider:
  processors:
    - batch:
        schedule_delay: 3600000
        exporter:
          otlp_http:
            endpoint: \${DRUM_OTEL_TEST_RECEIVER}/v1/logs
            encoding: json
`;
  const receiver = await withReceiver(
    (receiver) => ({ DRUM_OTEL_TEST_RECEIVER: receiver.url, OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/v1/traces`, 'json', extra) }),
    async () => {
      const otel = setupOtel();
      t.true(otel.meterProvider instanceof MeterProvider);
      t.is(metrics.getMeterProvider() as unknown, otel.meterProvider);
      t.true(otel.loggerProvider instanceof LoggerProvider);
      t.is(logs.getLoggerProvider() as unknown, otel.loggerProvider);
      metrics.getMeter('config-file-test').createCounter('drum.test.loads').add(2);
      logs.getLogger('config-file-test').emit({ severityNumber: SeverityNumber.INFO, body: 'loaded' });
      await otel.shutdown();
      t.false(globalTracingRecords());
      t.not(metrics.getMeterProvider() as unknown, otel.meterProvider);
      t.not(logs.getLoggerProvider() as unknown, otel.loggerProvider);
    },
  );
  t.deepEqual(receiver.metrics().filter((metric) => metric.name === 'drum.test.loads').map((metric) => metric.resource[ATTR_SERVICE_NAME]), ['from-config-file']);
  t.deepEqual(exportedLogRecords(receiver).map((record) => [record.body, record.resource[ATTR_SERVICE_NAME]]), [['loaded', 'from-config-file']]);
});

test.serial('shutdown unregisters everything, so a second setupOtel sets up anew, from the file or without it', async (t) => {
  await withReceiver(
    (receiver) => ({ OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/v1/traces`, 'json') }),
    async () => {
      const first = setupOtel();
      t.true(globalTracingRecords());
      await first.shutdown();
      t.false(globalTracingRecords());
      const second = setupOtel();
      try {
        t.not(second, first);
        t.true(second.tracerProvider instanceof TracerProvider);
        t.not(second.tracerProvider, first.tracerProvider);
        t.true(globalTracingRecords());
      } finally {
        await second.shutdown();
      }
    },
  );
  const third = await withEnv({ OTEL_CONFIG_FILE: undefined }, () => setupOtel({ exporter: new InMemorySpanExporter(), logLevel: 'none' }));
  t.true(globalTracingRecords());
  await third.shutdown();
});

test.serial('shutdown gives up after shutdownTimeoutMillis on a collector that never answers', async (t) => {
  const receiver = await startReceiver('hang');
  try {
    const otel = await withEnv({ OTEL_CONFIG_FILE: tracesFile(`${receiver.url}/v1/traces`, 'json') }, () => setupOtel({ shutdownTimeoutMillis: 100 }));
    trace.getTracer('config-file-test').startSpan('stuck').end();
    const started = Date.now();
    await otel.shutdown();
    t.true(Date.now() - started < 3000);
    t.false(globalTracingRecords());
  } finally {
    await receiver.close();
  }
});

/** Sets up with OTEL_CONFIG_FILE=`file` and the environment pointing at a receiver; returns what the receiver got and what diag said. */
async function fallingBack(file: string, logLevel: 'none' | 'warn' = 'none') {
  const records = captureDiag();
  let enabled = false;
  const receiver = await withReceiver(
    (receiver) => ({
      OTEL_CONFIG_FILE: file,
      OTEL_LOG_LEVEL: logLevel,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'from-environment',
      OTEL_METRICS_EXPORTER: 'none',
    }),
    async () => {
      const otel = setupOtel();
      enabled = otel.enabled;
      trace.getTracer('config-file-test').startSpan('fallback').end();
      await otel.shutdown();
    },
  );
  const spans = receiver.spans().map((span) => [span.name, span.resource[ATTR_SERVICE_NAME]]);
  return { enabled, spans, warnings: records.filter((record) => record.level === 'warn').map((record) => record.message) };
}

test.serial('a missing file: one warning naming it and why, then the setup from the other variables', async (t) => {
  const missing = join(directory, 'missing.yaml');
  const { enabled, spans, warnings } = await fallingBack(missing);
  t.true(enabled);
  t.deepEqual(spans, [['fallback', 'from-environment']]);
  t.deepEqual(warnings, [
    `setupOtel: OTEL_CONFIG_FILE=${JSON.stringify(missing)} cannot be used (ENOENT: no such file or directory, open '${missing}'); setting up from the other OTEL_* variables instead`,
  ]);
});

test.serial('a malformed file (YAML, or not of the schema): one warning naming it and why, then the setup from the other variables', async (t) => {
  const notYaml = configFile('file_format: "1.0"\ntracer_provider: [unclosed\n');
  const result = await fallingBack(notYaml);
  t.deepEqual(result.spans, [['fallback', 'from-environment']]);
  t.is(result.warnings.length, 1);
  t.regex(result.warnings[0], new RegExp(`^setupOtel: OTEL_CONFIG_FILE=${JSON.stringify(notYaml)} cannot be used \\(.+\\); setting up from the other OTEL_\\* variables instead$`, 's'));

  const unsupported = configFile('file_format: "2.0"\n');
  const { warnings } = await fallingBack(unsupported);
  t.true(warnings[0].includes(`(${unsupported}: Unsupported file_format: "2.0". This SDK supports schema version 1.x.)`), warnings[0]);

  const invalid = configFile('file_format: "1.0"\ntracer_provider:\n  processors: 3\n');
  t.true((await fallingBack(invalid)).warnings[0].includes('Invalid OpenTelemetry config file'));
});

test.serial('a file the SDK cannot be created from: one warning on the console, then the setup from the other variables', async (t) => {
  // An export timeout of 0 is valid in the schema, and refused by the SDK.
  const file = configFile(`file_format: "1.0"
log_level: fatal
tracer_provider:
  processors:
    - simple:
        exporter:
          otlp_http:
            endpoint: http://127.0.0.1:9/v1/traces
            timeout: 0
`);
  // startNodeSdk replaced the diag logger before it failed; setupOtel's own, at OTEL_LOG_LEVEL, prints to the console.
  // (The API's console logger holds the console's methods of its start: the stream is what a test can catch.)
  const printed: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => printed.push(String(chunk).trimEnd()) > 0) as typeof process.stderr.write;
  try {
    const { spans } = await fallingBack(file, 'warn');
    t.deepEqual(spans, [['fallback', 'from-environment']]);
  } finally {
    process.stderr.write = write;
  }
  t.deepEqual(printed, [
    `setupOtel: OTEL_CONFIG_FILE=${JSON.stringify(file)} cannot be used (the SDK could not be created from it (see the error logged before)); setting up from the other OTEL_* variables instead`,
  ]);
});

test.serial("the file's disabled: true yields a disabled handle, nothing registered", async (t) => {
  const file = tracesFile('http://127.0.0.1:9/v1/traces', 'json', 'disabled: true\n');
  const otel = await withEnv({ OTEL_CONFIG_FILE: file }, () => setupOtel());
  try {
    t.like(otel, { enabled: false, disabledBy: 'OTEL_CONFIG_FILE', tracerProvider: undefined });
    t.false(globalTracingRecords());
  } finally {
    await otel.shutdown();
  }
});

for (const [variables, options, disabledBy] of [
  [{ OTEL_SDK_DISABLED: 'true' }, {}, 'OTEL_SDK_DISABLED'],
  [{ MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '{"type":"boolean","payload":true}' }, {}, 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED'],
  [{}, { disabled: true, serviceName: 'ignored' }, 'disabled option'],
] as const) {
  test.serial(`${disabledBy} wins over OTEL_CONFIG_FILE: disabled, the file not even read`, async (t) => {
    const otel = await withEnv({ ...variables, OTEL_CONFIG_FILE: join(directory, 'never-read.yaml') }, () => setupOtel(options));
    try {
      t.like(otel, { enabled: false, disabledBy });
      t.false(globalTracingRecords());
    } finally {
      await otel.shutdown();
    }
  });
}

const CONFLICTING: SetupOtelOptions[] = [
  { exporter: new InMemorySpanExporter() },
  { processor: 'simple' },
  { serviceName: 'iris' },
  { resourceAttributes: { team: 'ml' } },
  { propagators: ['b3'] },
  { logLevel: 'none' },
];

test.serial('an option the file configures, with OTEL_CONFIG_FILE: an Error naming both, thrown before anything is registered', async (t) => {
  const file = tracesFile('http://127.0.0.1:9/v1/traces', 'json');
  await withEnv({ OTEL_CONFIG_FILE: file }, () => {
    for (const options of CONFLICTING) {
      const [option] = Object.keys(options);
      t.throws(() => setupOtel({ ...options, shutdownTimeoutMillis: 100 }), {
        message: `setupOtel: option ${option} cannot be combined with OTEL_CONFIG_FILE=${JSON.stringify(file)}, which configures the SDK; set it in that file, or unset OTEL_CONFIG_FILE`,
      });
      t.false(globalTracingRecords());
      t.deepEqual(propagation.fields(), []);
    }
  });
});

test.serial('a tracer provider registered by someone else: setupOtel throws and the file is not applied', async (t) => {
  const theirs = new TracerProvider();
  t.true(trace.setGlobalTracerProvider(theirs));
  try {
    const file = tracesFile('http://127.0.0.1:9/v1/traces', 'json', 'propagator:\n  composite:\n    - b3:\n');
    await withEnv({ OTEL_CONFIG_FILE: file }, () => {
      t.throws(() => setupOtel(), { message: 'setupOtel: a tracer provider is already registered globally; setupOtel was not applied' });
    });
    t.deepEqual(propagation.fields(), []);
  } finally {
    trace.disable();
  }
});

test('plan: OTEL_CONFIG_FILE (trimmed; blank is unset) names the configuration; no other variable is read', (t) => {
  const env = { ...IGNORED_VARIABLES, OTEL_LOG_LEVEL: 'loud', OTEL_CONFIG_FILE: ' /etc/otel.yaml ' };
  t.deepEqual(planSetup(env, { shutdownTimeoutMillis: 250 }), { enabled: true, configFile: '/etc/otel.yaml', shutdownTimeoutMillis: 250, warnings: [] });
  t.false('configFile' in planSetup({ OTEL_CONFIG_FILE: '  ' }));
  // The disabling variables are read first, and their warnings kept.
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'yes', OTEL_CONFIG_FILE: '/etc/otel.yaml' }), {
    enabled: true,
    configFile: '/etc/otel.yaml',
    shutdownTimeoutMillis: 5000,
    warnings: ['setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false; using false'],
  });
});

test('plan: every option the file configures conflicts with OTEL_CONFIG_FILE; disabled and shutdownTimeoutMillis do not', (t) => {
  const env = { OTEL_CONFIG_FILE: '/etc/otel.yaml' };
  const spanProcessor = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
  const metricReader = { setMetricProducer() {}, collect: async () => ({}), forceFlush: async () => {}, shutdown: async () => {} };
  const logRecordProcessor = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };
  const more = [{ spanProcessor }, { metricReader }, { logRecordProcessor }] as unknown as SetupOtelOptions[];
  for (const options of [...CONFLICTING, ...more]) {
    t.throws(() => planSetup(env, options), { message: new RegExp(`^setupOtel: option ${Object.keys(options)[0]} cannot be combined with OTEL_CONFIG_FILE="/etc/otel.yaml"`) });
  }
  t.like(planSetup(env, { disabled: false, shutdownTimeoutMillis: 10 }), { configFile: '/etc/otel.yaml', shutdownTimeoutMillis: 10 });
});
