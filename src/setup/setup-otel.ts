import { diag } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ConfigFilePlan } from './config-file-plan';
import { startFromConfigFile } from './config-file';
import { installDiagnostics, uninstallDiagnostics } from './diag';
import { assertNoProviderRegistered, registerGlobals, unregisterGlobals } from './globals';
import { disabledHandle, enabledHandle } from './handle';
import { createLoggerProvider, hasLogRecordProcessor } from './logs';
import { registerOutgoing, unregisterOutgoing } from './outgoing';
import { createMetricReaders, hasMetricReader } from './metrics';
import { planSetup, type EnabledPlan, type SetupPlan } from './plan';
import { createPropagator } from './propagator';
import { createResource } from './resource';
import { createTracerProvider } from './traces';
import type { OtelHandle, SetupOtelOptions } from './types';

let current: OtelHandle | undefined;

/**
 * Sets up the OpenTelemetry SDK for a DRUM-style model server, the TypeScript counterpart of DRUM's
 * `setup_otel`: a `TracerProvider` and, when metrics or log records are exported, a `MeterProvider` or a
 * `LoggerProvider` registered globally with an `AsyncLocalStorageContextManager` and the propagators `OTEL_PROPAGATORS` names (by default
 * W3C trace context, W3C baggage and B3 in either form), exporting as the standard environment variables say,
 * with explicit options overriding them. The providers share one resource, whose `process.pid` tells the
 * processes of a cluster apart. The 3.x SDK's providers and processors read no variable, so setupOtel reads
 * every one but the OTLP exporters' own. Every variable honoured, and who reads it:
 *
 * | variable | meaning | default | read by |
 * |---|---|---|---|
 * | `OTEL_SDK_DISABLED` | `true` (any case): register nothing, return a disabled handle | `false` | setupOtel |
 * | `MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED` | DRUM's runtime parameter, `{"type":"boolean","payload":true}`: as `OTEL_SDK_DISABLED=true` | | setupOtel |
 * | `OTEL_CONFIG_FILE` | a declarative configuration file (YAML, `file_format` `1.0` or `1.1`, `${VAR}` substituted): the whole configuration, read by sdk-node's `startNodeSdk()`; no variable below is read (the two above still disable first); its `disabled: true` gives a disabled handle; one that cannot be read, parsed or created from is warned about and the variables below are used | | setupOtel, sdk-node |
 * | `OTEL_LOG_LEVEL` | level of the console `diag` logger installed first (warnings and export failures go there) | `warn` | setupOtel |
 * | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `b3`, `b3multi` (comma-separated), or `none` | `b3multi,tracecontext,baggage` | setupOtel |
 * | `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER` | `otlp`, `console` (comma-separated), or `none`; a setting naming no known exporter is warned about and `otlp` used | `otlp` when an endpoint is set, else none | setupOtel |
 * | `OTEL_EXPORTER_OTLP_PROTOCOL`, `..._TRACES_PROTOCOL`, `..._METRICS_PROTOCOL`, `..._LOGS_PROTOCOL` | `http/protobuf` or `http/json` (not `grpc`) | `http/protobuf` | setupOtel |
 * | `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_METRIC_EXPORT_TIMEOUT` | milliseconds between metric exports, and the bound of one (at most the interval) | `60000`, `30000` | setupOtel |
 * | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | the resource; setupOtel warns about a malformed `OTEL_RESOURCE_ATTRIBUTES`, which the SDK drops whole | `service.name` `drum` | resource detector |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `v1/traces`, `v1/metrics` and `v1/logs` are appended | `http://localhost:4318` | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `..._METRICS_ENDPOINT`, `..._LOGS_ENDPOINT` | full URL of one signal, used as it is | | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS`, `..._METRICS_HEADERS` | `name=value,...`, percent-encoded | | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_COMPRESSION`, `..._TRACES_COMPRESSION`, `..._METRICS_COMPRESSION` | `gzip` or `none` | `none` | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_TIMEOUT`, `..._TRACES_TIMEOUT`, `..._METRICS_TIMEOUT` | milliseconds one export may take | `10000` | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_CERTIFICATE`, `..._CLIENT_CERTIFICATE`, `..._CLIENT_KEY` (and `..._TRACES_...`, `..._METRICS_...`) | PEM files: trusted CA, client certificate and key | | OTLP exporters |
 * | `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` | `cumulative`, `delta` or `lowmemory` | `cumulative` | OTLP metric exporter |
 * | `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | span batch processor tuning | `5000`, `30000`, `2048`, `512` | setupOtel |
 * | `OTEL_BLRP_SCHEDULE_DELAY`, `OTEL_BLRP_EXPORT_TIMEOUT`, `OTEL_BLRP_MAX_QUEUE_SIZE`, `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE` | log record batch processor tuning | `1000`, `30000`, `2048`, `512` | setupOtel |
 * | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`; the ratio, from 0 to 1 (read for the two ratio samplers) | `parentbased_always_on`; `1` | setupOtel |
 * | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else `OTEL_ATTRIBUTE_COUNT_LIMIT`, `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`), `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` (or `OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT`, `OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT`) | span limits | `128`, unlimited length | setupOtel |
 * | `OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else the `OTEL_ATTRIBUTE_*` ones) | log record limits | `128`, unlimited length | setupOtel |
 *
 * A value that cannot be used is warned about once through the `diag` logger and its default is taken (a
 * boolean other than `true`/`false`, a number that is not one, an unknown name in a list, which is skipped):
 * the server starts. With no exporter variable and no endpoint, tracing stays configured (spans are created
 * and propagated) but nothing is exported, as DRUM does. Without a logs exporter (or `logRecordProcessor`) no
 * `LoggerProvider` is registered, and without a metrics exporter (or `metricReader`) no
 * `MeterProvider`: one without a reader would record nothing, yet every measurement made for it
 * would be paid; the API's no-op meter costs nothing, and a meter provider the application registered itself
 * stays in place. Metrics are cumulative unless
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` asks for delta. With `OTEL_CONFIG_FILE` the file decides
 * everything (which providers exist, the resource, the sampler, the propagators, the `diag` log level), so the
 * options it configures (all but `disabled` and `shutdownTimeoutMillis`) throw; the handle holds the providers
 * the SDK registered, and its `shutdown()` unregisters them as usual. Calling `setupOtel` again returns the same handle,
 * until its `shutdown()` has run. Instrumentation that obtained its tracer from the global provider before a
 * `shutdown()` keeps using the provider that was shut down.
 *
 * Requests the application makes with `fetch` or `node:http`/`node:https` get CLIENT spans and carry the trace
 * to the services they call (OpenTelemetry's `@opentelemetry/instrumentation-undici` and
 * `@opentelemetry/instrumentation-http`, its client side only, registered with the providers and unregistered
 * by `shutdown()`), unless the `outgoing` option is `false`; `@NoTrace()` actions make none.
 *
 * @param options - See {@link SetupOtelOptions}.
 * @returns The handle whose `shutdown()` a server calls on SIGTERM/SIGINT, after closing its listener.
 * @throws Error naming the option and its value when an option is invalid, or naming the option and
 *   `OTEL_CONFIG_FILE` when an option the file configures is given with it, and when another tracer provider
 *   (or, when metrics or log records are exported, meter or logger provider) is already registered globally. Nothing is registered then.
 * @category Setup
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { createExpressServer, JsonController, Post } from 'routing-controllers';
 * import { instrumentControllers, Traced } from 'drum-otel';
 * import { setupOtel } from 'drum-otel/setup';
 *
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 sends spans to a collector (http/protobuf).
 * const otel = setupOtel({ serviceName: 'iris-classifier' });
 *
 * @JsonController()
 * class PredictionController {
 *   @Post('/predict/')
 *   @Traced('drum.invocations')
 *   predict() {
 *     return { predictions: [] };
 *   }
 * }
 *
 * const server = createExpressServer({ controllers: instrumentControllers([PredictionController]) }).listen(8080);
 * for (const signal of ['SIGTERM', 'SIGINT'] as const) {
 *   process.once(signal, () => server.close(() => void otel.shutdown().then(() => process.exit(0))));
 * }
 * ```
 */
export function setupOtel(options: SetupOtelOptions = {}): OtelHandle {
  if (current !== undefined) return current;
  const plan = planSetup(process.env, options);
  if (!plan.enabled) {
    plan.warnings.forEach((warning) => diag.warn(warning));
    return (current = disabledHandle(plan.disabledBy, release));
  }
  current = 'configFile' in plan ? startFromFile(plan, options) : start(plan);
  if (current.enabled && options.outgoing !== false) registerOutgoing();
  return current;
}

/**
 * The setup `OTEL_CONFIG_FILE` describes, or a disabled handle when the file says `disabled: true`. A file
 * that cannot be used is warned about and the setup made from the other variables instead, as a bad variable
 * falls back to its default: a typo in the file must neither stop the server nor silently leave it without
 * tracing (context propagation to the services it calls included).
 */
function startFromFile(plan: ConfigFilePlan, options: SetupOtelOptions): OtelHandle {
  const started = startFromConfigFile(plan.configFile);
  if (started.outcome === 'unusable') {
    const fallback: SetupPlan = planSetup({ ...process.env, OTEL_CONFIG_FILE: undefined }, options);
    // The same variables and options decided the same way: enabled, and now from the environment.
    if (!fallback.enabled || 'configFile' in fallback) throw new Error('setupOtel: unreachable');
    const warning = `setupOtel: OTEL_CONFIG_FILE=${JSON.stringify(plan.configFile)} cannot be used (${started.reason}); setting up from the other OTEL_* variables instead`;
    return start({ ...fallback, warnings: [warning, ...fallback.warnings] });
  }
  plan.warnings.forEach((warning) => diag.warn(warning));
  if (started.outcome === 'disabled') return disabledHandle('OTEL_CONFIG_FILE', release);
  // The file's log_level decides the diag logger (startNodeSdk installed it); only the one-line report of
  // failed exports is setupOtel's.
  installDiagnostics('none');
  return enabledHandle(started.providers, plan.shutdownTimeoutMillis, release);
}

function start(plan: EnabledPlan): OtelHandle {
  const withMeterProvider = hasMetricReader(plan.metrics);
  assertNoProviderRegistered(withMeterProvider);
  // The logger before anything is built: the OTLP exporters read their variables when they are constructed,
  // and warn about bad ones through diag.
  const started = installDiagnostics(plan.logLevel);
  plan.warnings.forEach((warning) => diag.warn(warning));
  const resource = createResource(plan.serviceName, plan.resourceAttributes);
  const providers = {
    tracerProvider: createTracerProvider(plan.traces, resource),
    meterProvider: withMeterProvider ? new MeterProvider({ resource, readers: createMetricReaders(plan.metrics) }) : undefined,
    loggerProvider: hasLogRecordProcessor(plan.logs) ? createLoggerProvider(plan.logs, resource) : undefined,
  };
  started();
  try {
    registerGlobals(providers, createPropagator(plan.propagators));
  } catch (error) {
    const { tracerProvider, meterProvider, loggerProvider } = providers;
    void Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown(), loggerProvider?.shutdown()]);
    uninstallDiagnostics();
    throw error;
  }
  return enabledHandle(providers, plan.shutdownTimeoutMillis, release);
}

/** Unregisters what `handle` registered, so that a later setupOtel call sets up anew. */
function release(handle: OtelHandle): void {
  if (current !== handle) return;
  current = undefined;
  if (!handle.enabled) return;
  unregisterOutgoing();
  uninstallDiagnostics();
  unregisterGlobals(handle);
}
