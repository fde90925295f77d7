import test, { type ExecutionContext } from 'ava';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Environment } from '../../src/setup/environment';
import { planSetup, type EnabledPlan } from '../../src/setup/plan';
import type { SetupOtelOptions } from '../../src/setup/types';

// The plan: a pure function of the environment and the options. For each variable setupOtel reads: set,
// unset, empty, invalid (one warning, the default), and the option beating it.

function enabledPlan(env: Environment, options?: SetupOtelOptions): EnabledPlan {
  const plan = planSetup(env, options);
  if (!plan.enabled) throw new Error(`expected an enabled plan, got one disabled by ${plan.disabledBy}`);
  if ('configFile' in plan) throw new Error('expected a plan from the environment, got one from OTEL_CONFIG_FILE');
  return plan;
}

const spanProcessor: SpanProcessor = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };

test('with nothing set: enabled, DRUM propagators, batch processor, no exporter, warn logging, 5 s shutdown bound', (t) => {
  t.deepEqual(planSetup({}), {
    enabled: true,
    logLevel: 'warn',
    serviceName: undefined,
    resourceAttributes: {},
    propagators: ['b3multi', 'tracecontext', 'baggage'],
    traces: { exporters: [], processor: 'batch', batch: {}, sampler: { name: 'parentbased_always_on', ratio: 1 }, spanLimits: {} },
    metrics: { exporters: [], exportIntervalMillis: 60000, exportTimeoutMillis: 30000 },
    logs: { exporters: [], processor: 'batch', batch: {}, limits: {} },
    shutdownTimeoutMillis: 5000,
    warnings: [],
  });
});

test('OTEL_SDK_DISABLED: true in any case disables, reading no other variable; unset, empty and false do not', (t) => {
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'TRUE', OTEL_LOG_LEVEL: 'loud', OTEL_PROPAGATORS: 'jaeger' }), {
    enabled: false,
    disabledBy: 'OTEL_SDK_DISABLED',
    warnings: [],
  });
  for (const value of [undefined, '', 'false', 'False']) t.true(planSetup({ OTEL_SDK_DISABLED: value }).enabled, String(value));
});

test('OTEL_SDK_DISABLED invalid: one warning, enabled', (t) => {
  t.deepEqual(enabledPlan({ OTEL_SDK_DISABLED: 'yes' }).warnings, [
    'setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false; using false',
  ]);
});

test('MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: DRUM runtime parameter disables as OTEL_SDK_DISABLED=true does', (t) => {
  const parameter = (payload: string) => ({ MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: `{"type":"boolean","payload":${payload}}` });
  t.deepEqual(planSetup(parameter('true')), { enabled: false, disabledBy: 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED', warnings: [] });
  t.true(planSetup(parameter('false')).enabled);
  t.true(planSetup({ MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '' }).enabled);
  // Either source disables; the plain variable is named when both do.
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'false', ...parameter('true') }), {
    enabled: false,
    disabledBy: 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED',
    warnings: [],
  });
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'true', ...parameter('true') }), { enabled: false, disabledBy: 'OTEL_SDK_DISABLED', warnings: [] });
});

test('MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED malformed: one warning, ignored', (t) => {
  t.deepEqual(enabledPlan({ MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: 'true' }).warnings, [
    'setupOtel: MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED="true" is invalid; expected JSON such as {"type":"boolean","payload":true}; ignored',
  ]);
  // A warning of a plan that is disabled all the same is still handed over.
  t.deepEqual(planSetup({ OTEL_SDK_DISABLED: 'yes', MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '{"type":"boolean","payload":true}' }), {
    enabled: false,
    disabledBy: 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED',
    warnings: ['setupOtel: OTEL_SDK_DISABLED="yes" is invalid; expected true or false; using false'],
  });
});

test('the disabled option beats both variables, both ways', (t) => {
  const env = { OTEL_SDK_DISABLED: 'true', MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED: '{"type":"boolean","payload":true}' };
  t.true(planSetup(env, { disabled: false }).enabled);
  t.deepEqual(planSetup({}, { disabled: true }), { enabled: false, disabledBy: 'disabled option', warnings: [] });
});

test('OTEL_LOG_LEVEL: any case; unset or empty is warn; invalid is warned and warn; the option wins', (t) => {
  t.is(enabledPlan({ OTEL_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
  t.is(enabledPlan({ OTEL_LOG_LEVEL: '' }).logLevel, 'warn');
  t.like(enabledPlan({ OTEL_LOG_LEVEL: 'loud' }), {
    logLevel: 'warn',
    warnings: ['setupOtel: OTEL_LOG_LEVEL="loud" is invalid; expected one of none, error, warn, info, debug, verbose, all; using warn'],
  });
  t.is(enabledPlan({ OTEL_LOG_LEVEL: 'DEBUG' }, { logLevel: 'none' }).logLevel, 'none');
});

test('OTEL_PROPAGATORS: the list in its order; empty is the default; none is none; unknown names skipped; the option wins', (t) => {
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: 'tracecontext' }).propagators, ['tracecontext']);
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: 'baggage,b3,b3multi,tracecontext' }).propagators, ['baggage', 'b3', 'b3multi', 'tracecontext']);
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: '' }).propagators, ['b3multi', 'tracecontext', 'baggage']);
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: 'none' }).propagators, []);
  t.like(enabledPlan({ OTEL_PROPAGATORS: 'tracecontext,jaeger' }), {
    propagators: ['tracecontext'],
    warnings: ['setupOtel: OTEL_PROPAGATORS="tracecontext,jaeger" names "jaeger", not one of tracecontext, baggage, b3, b3multi, none; skipped'],
  });
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: 'none' }, { propagators: ['b3'] }).propagators, ['b3']);
  t.deepEqual(enabledPlan({ OTEL_PROPAGATORS: 'b3' }, { propagators: [] }).propagators, []);
});

test('OTEL_TRACES_EXPORTER unset: otlp when an endpoint variable is set (DRUM), none otherwise', (t) => {
  const otlp = [{ kind: 'otlp', protocol: 'http/protobuf' }];
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).traces.exporters, otlp);
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).traces.exporters, otlp);
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ', OTEL_TRACES_EXPORTER: '' }).traces.exporters, []);
});

test('OTEL_TRACES_EXPORTER: otlp without an endpoint, console, a list, none beating an endpoint, unknown names skipped', (t) => {
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'otlp' }).traces.exporters, [{ kind: 'otlp', protocol: 'http/protobuf' }]);
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'console, otlp' }).traces.exporters, [
    { kind: 'console' },
    { kind: 'otlp', protocol: 'http/protobuf' },
  ]);
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).traces.exporters, []);
  t.like(enabledPlan({ OTEL_TRACES_EXPORTER: 'zipkin,console' }), {
    traces: { exporters: [{ kind: 'console' }] },
    warnings: ['setupOtel: OTEL_TRACES_EXPORTER="zipkin,console" names "zipkin", not one of otlp, console, none; skipped'],
  });
});

test('an exporter setting naming no known exporter is ignored: the default otlp, even without an endpoint, warned once', (t) => {
  t.like(enabledPlan({ OTEL_TRACES_EXPORTER: 'otlpp' }), {
    traces: { exporters: [{ kind: 'otlp', protocol: 'http/protobuf' }] },
    warnings: ['setupOtel: OTEL_TRACES_EXPORTER="otlpp" names "otlpp", not one of otlp, console, none; using otlp'],
  });
  t.like(enabledPlan({ OTEL_TRACES_EXPORTER: 'zipkin, jaeger', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), {
    traces: { exporters: [{ kind: 'otlp', protocol: 'http/json' }] },
    warnings: [
      'setupOtel: OTEL_TRACES_EXPORTER="zipkin, jaeger" names "zipkin", not one of otlp, console, none; using otlp',
      'setupOtel: OTEL_TRACES_EXPORTER="zipkin, jaeger" names "jaeger", not one of otlp, console, none; using otlp',
    ],
  });
});

test('the exporter and spanProcessor options beat OTEL_TRACES_EXPORTER; processor picks simple', (t) => {
  const exporter = new InMemorySpanExporter();
  t.deepEqual(enabledPlan({ OTEL_TRACES_EXPORTER: 'console' }, { exporter, processor: 'simple' }).traces, {
    exporters: [{ kind: 'given', exporter }],
    processor: 'simple',
    batch: {},
    sampler: { name: 'parentbased_always_on', ratio: 1 },
    spanLimits: {},
  });
  t.like(enabledPlan({ OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_MAX_QUEUE_SIZE: '9' }, { spanProcessor }).traces, {
    exporters: [],
    processor: spanProcessor,
    batch: {},
  });
});

test('OTEL_EXPORTER_OTLP_PROTOCOL: http/json; the traces variable first; empty is http/protobuf; grpc warned', (t) => {
  const protocol = (env: Environment) => enabledPlan({ OTEL_TRACES_EXPORTER: 'otlp', ...env });
  t.like(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).traces, { exporters: [{ protocol: 'http/json' }] });
  t.like(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).traces, {
    exporters: [{ protocol: 'http/protobuf' }],
  });
  t.like(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: '' }).traces, { exporters: [{ protocol: 'http/protobuf' }] });
  t.like(protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
    traces: { exporters: [{ protocol: 'http/protobuf' }] },
    warnings: [
      'setupOtel: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is invalid; expected http/protobuf or http/json (drum-otel does not export over gRPC); using http/protobuf',
    ],
  });
  // An invalid traces variable falls back to the general one.
  t.like(protocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).traces, {
    exporters: [{ protocol: 'http/json' }],
  });
});

test('OTEL_METRICS_EXPORTER unset: otlp when the general or the metrics endpoint is set (DRUM), none otherwise', (t) => {
  const otlp = [{ kind: 'otlp', protocol: 'http/protobuf' }];
  t.like(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), { metrics: { exporters: otlp } });
  t.like(enabledPlan({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/v1/metrics' }), {
    traces: { exporters: [] },
    metrics: { exporters: otlp },
  });
  t.like(enabledPlan({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), {
    traces: { exporters: otlp },
    metrics: { exporters: [] },
  });
  t.like(enabledPlan({ OTEL_METRICS_EXPORTER: '' }), { metrics: { exporters: [] } });
});

test('OTEL_METRICS_EXPORTER: console, otlp, none beating an endpoint, unknown names skipped; independent of traces', (t) => {
  t.like(enabledPlan({ OTEL_METRICS_EXPORTER: 'console' }), { traces: { exporters: [] }, metrics: { exporters: [{ kind: 'console' }] } });
  t.like(enabledPlan({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
    metrics: { exporters: [{ kind: 'otlp', protocol: 'http/json' }] },
    warnings: [],
  });
  t.like(enabledPlan({ OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), {
    traces: { exporters: [{ kind: 'otlp' }] },
    metrics: { exporters: [] },
  });
  t.like(enabledPlan({ OTEL_METRICS_EXPORTER: 'prometheus' }), {
    metrics: { exporters: [{ kind: 'otlp', protocol: 'http/protobuf' }] },
    warnings: ['setupOtel: OTEL_METRICS_EXPORTER="prometheus" names "prometheus", not one of otlp, console, none; using otlp'],
  });
});

test('OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT: set, unset, empty, invalid (warned, default); the timeout at most the interval', (t) => {
  const timing = (env: Environment) => {
    const { metrics, warnings } = enabledPlan({ OTEL_METRICS_EXPORTER: 'console', ...env });
    return { ...metrics, warnings };
  };
  t.like(timing({ OTEL_METRIC_EXPORT_INTERVAL: '90000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' }), { exportIntervalMillis: 90000, exportTimeoutMillis: 5000 });
  t.like(timing({ OTEL_METRIC_EXPORT_INTERVAL: '', OTEL_METRIC_EXPORT_TIMEOUT: ' ' }), {
    exportIntervalMillis: 60000,
    exportTimeoutMillis: 30000,
    warnings: [],
  });
  t.like(timing({ OTEL_METRIC_EXPORT_INTERVAL: '1m', OTEL_METRIC_EXPORT_TIMEOUT: '0' }), {
    exportIntervalMillis: 60000,
    exportTimeoutMillis: 30000,
    warnings: [
      'setupOtel: OTEL_METRIC_EXPORT_INTERVAL="1m" is invalid; expected a whole number of milliseconds above 0; using 60000',
      'setupOtel: OTEL_METRIC_EXPORT_TIMEOUT="0" is invalid; expected a whole number of milliseconds above 0; using 30000',
    ],
  });
  // A short interval cuts the default timeout silently, and a timeout set longer with a warning.
  t.like(timing({ OTEL_METRIC_EXPORT_INTERVAL: '1000' }), { exportIntervalMillis: 1000, exportTimeoutMillis: 1000, warnings: [] });
  t.like(timing({ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '2000' }), {
    exportIntervalMillis: 1000,
    exportTimeoutMillis: 1000,
    warnings: ['setupOtel: OTEL_METRIC_EXPORT_TIMEOUT="2000" is invalid; expected at most OTEL_METRIC_EXPORT_INTERVAL (1000); using 1000'],
  });
  // Without a metric exporter they are not read.
  t.deepEqual(enabledPlan({ OTEL_METRIC_EXPORT_INTERVAL: 'x' }).warnings, []);
});

test('the metricReader option beats OTEL_METRICS_EXPORTER and the interval', (t) => {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE) });
  t.deepEqual(enabledPlan({ OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: 'x' }, { metricReader: reader }), {
    ...enabledPlan({}),
    metrics: { reader },
  });
  void reader.shutdown();
});

test('an endpoint with a scheme other than http(s) is warned about; one that is no URL is left to the exporter', (t) => {
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).warnings, [
    'setupOtel: OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is invalid; expected an http:// or https:// URL; every export to it fails',
  ]);
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }).warnings, [
    'setupOtel: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="grpc://collector:4317" is invalid; expected an http:// or https:// URL; every export to it fails',
  ]);
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).warnings, []);
  // Not exporting OTLP: the endpoint is not looked at.
  t.deepEqual(enabledPlan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }).warnings, []);
});

test('OTEL_RESOURCE_ATTRIBUTES that the SDK would drop whole is warned about', (t) => {
  t.deepEqual(enabledPlan({ OTEL_RESOURCE_ATTRIBUTES: 'team=ml, region=eu%2Dwest,' }).warnings, []);
  for (const [value, entry] of [
    ['team=ml,url=a=b', 'url=a=b'],
    ['team', 'team'],
    ['=ml', '=ml'],
    ['team=%zz', 'team=%zz'],
  ]) {
    t.deepEqual(enabledPlan({ OTEL_RESOURCE_ATTRIBUTES: value }).warnings, [
      `setupOtel: OTEL_RESOURCE_ATTRIBUTES=${JSON.stringify(value)} is invalid; expected key=value entries (percent-encode , and =), not ${JSON.stringify(entry)}; the SDK ignores the whole variable`,
    ]);
  }
});

test('serviceName, resourceAttributes and shutdownTimeoutMillis come from the options', (t) => {
  t.like(enabledPlan({ OTEL_SERVICE_NAME: 'from-env' }, { serviceName: 'from-option', resourceAttributes: { team: 'ml' }, shutdownTimeoutMillis: 250 }), {
    serviceName: 'from-option',
    resourceAttributes: { team: 'ml' },
    shutdownTimeoutMillis: 250,
  });
});

/** Asserts that `options` make planSetup throw exactly `message`, whatever the environment says. */
function rejects(t: ExecutionContext, options: unknown, message: string): void {
  t.throws(() => planSetup({ OTEL_SDK_DISABLED: 'true' }, options as SetupOtelOptions), { message });
}

test('invalid options throw an Error naming the option, even when the environment disables the setup', (t) => {
  rejects(t, { processor: 'fast' }, `setupOtel: option processor is invalid ("fast"); expected 'batch' or 'simple'`);
  rejects(t, { serviceName: ' ' }, 'setupOtel: option serviceName is invalid (" "); expected a non-empty string');
  rejects(t, { shutdownTimeoutMillis: -1 }, 'setupOtel: option shutdownTimeoutMillis is invalid (number -1); expected a positive number of milliseconds');
  rejects(t, { disabled: 'yes' }, 'setupOtel: option disabled is invalid ("yes"); expected a boolean');
  rejects(t, { logLevel: 'loud' }, 'setupOtel: option logLevel is invalid ("loud"); expected none, error, warn, info, debug, verbose, all');
  rejects(t, { propagators: ['tracecontext', 'jaeger'] }, 'setupOtel: option propagators is invalid (object tracecontext,jaeger); expected an array of tracecontext, baggage, b3, b3multi');
  rejects(t, { propagators: 'b3' }, 'setupOtel: option propagators is invalid ("b3"); expected an array of tracecontext, baggage, b3, b3multi');
  rejects(t, { exporter: { export() {} } }, 'setupOtel: option exporter is invalid (object [object Object]); expected a SpanExporter');
  rejects(t, { resourceAttributes: null }, 'setupOtel: option resourceAttributes is invalid (object null); expected an object of attributes');
  rejects(t, null, 'setupOtel: option options is invalid (object null); expected an object');
  rejects(t, { servicename: 'iris' }, 'setupOtel: unknown option servicename; expected one of disabled, serviceName, resourceAttributes, exporter, spanProcessor, processor, metricReader, logRecordProcessor, propagators, logLevel, shutdownTimeoutMillis, outgoing');
  rejects(t, { metricReader: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE) }, 'setupOtel: option metricReader is invalid (object [object Object]); expected a MetricReader');
  rejects(t, { exporter: new InMemorySpanExporter(), spanProcessor }, 'setupOtel: option spanProcessor replaces exporter and processor; give either spanProcessor or those');
});
