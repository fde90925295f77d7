import type { Attributes } from '@opentelemetry/api';
import type { LoggerProvider, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * How much OpenTelemetry's own `diag` logger prints, as `OTEL_LOG_LEVEL` spells it (lower case here).
 * `none` leaves `diag` as it is: no console logger is installed.
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel, type OtelLogLevel } from 'drum-otel/setup';
 *
 * const logLevel: OtelLogLevel = process.env.DEBUG ? 'debug' : 'warn';
 * setupOtel({ logLevel });
 * ```
 */
export type OtelLogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/**
 * A propagator, as `OTEL_PROPAGATORS` names it: `tracecontext` (W3C `traceparent`/`tracestate`), `baggage`
 * (W3C `baggage`), `b3` (B3, injecting the single `b3` header) and `b3multi` (B3, injecting the `X-B3-*`
 * headers). Both B3 propagators extract either B3 form.
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel, type PropagatorName } from 'drum-otel/setup';
 *
 * // Only W3C trace context: B3 headers of incoming requests are ignored.
 * const propagators: PropagatorName[] = ['tracecontext'];
 * setupOtel({ propagators });
 * ```
 */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';

/**
 * What turned {@link setupOtel} off: the variable `OTEL_SDK_DISABLED=true`, DRUM's runtime parameter
 * `MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED={"type":"boolean","payload":true}`, the option `disabled: true`, or
 * `disabled: true` in the declarative configuration file `OTEL_CONFIG_FILE` names.
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel, type OtelDisabledBy } from 'drum-otel/setup';
 *
 * const disabledBy: OtelDisabledBy | undefined = setupOtel().disabledBy;
 * console.log(disabledBy === undefined ? 'tracing: on' : `tracing: off (${disabledBy})`);
 * ```
 */
export type OtelDisabledBy = 'OTEL_SDK_DISABLED' | 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED' | 'disabled option' | 'OTEL_CONFIG_FILE';

/**
 * Options of {@link setupOtel}. Each one overrides the environment variable named in its description;
 * what is left out is taken from the environment, then from the defaults. With `OTEL_CONFIG_FILE` set, the
 * file is the configuration: only `disabled` and `shutdownTimeoutMillis` may be given (any other throws).
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel, type SetupOtelOptions } from 'drum-otel/setup';
 *
 * const options: SetupOtelOptions = {
 *   serviceName: 'iris-classifier',
 *   resourceAttributes: { 'deployment.environment.name': 'staging' },
 *   processor: 'simple',
 * };
 * setupOtel(options);
 * ```
 */
export interface SetupOtelOptions {
  /**
   * Whether to set nothing up at all. Overrides `OTEL_SDK_DISABLED` and
   * `MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED`. Default: `false`.
   */
  disabled?: boolean;
  /**
   * The `service.name` resource attribute. Overrides `OTEL_SERVICE_NAME` and a `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`. Default: `drum`.
   */
  serviceName?: string;
  /** Resource attributes merged over those of `OTEL_RESOURCE_ATTRIBUTES` and the SDK's defaults. */
  resourceAttributes?: Attributes;
  /**
   * Where finished spans go, instead of the exporters `OTEL_TRACES_EXPORTER` and `OTEL_EXPORTER_OTLP_*`
   * describe. Wrapped in the processor `processor` names.
   */
  exporter?: SpanExporter;
  /**
   * The one span processor, instead of the processor and exporters `setupOtel` would build; not combinable
   * with `exporter` or `processor`.
   */
  spanProcessor?: SpanProcessor;
  /**
   * `batch` (the default) exports spans and log records in the background in batches, as `OTEL_BSP_*` and
   * `OTEL_BLRP_*` configure it; `simple` exports each span as it ends and each log record as it is emitted,
   * which DataRobot DRUM uses for forked workers.
   */
  processor?: 'batch' | 'simple';
  /**
   * The one log record processor, instead of the processors and exporters `OTEL_LOGS_EXPORTER` and
   * `OTEL_EXPORTER_OTLP_*` describe. With it (or a logs exporter) a LoggerProvider is registered globally;
   * without either, none is.
   */
  logRecordProcessor?: LogRecordProcessor;
  /**
   * The one metric reader, instead of the periodic readers and exporters `OTEL_METRICS_EXPORTER`,
   * `OTEL_METRIC_EXPORT_INTERVAL` and `OTEL_EXPORTER_OTLP_*` describe.
   */
  metricReader?: IMetricReader;
  /**
   * The propagators, in the order they extract (a later one's parent wins) and inject; `[]` propagates
   * nothing. Overrides `OTEL_PROPAGATORS`. Default: `['b3multi', 'tracecontext', 'baggage']`, DRUM's set:
   * B3 in either form, with `traceparent` winning over B3 when a request carries both.
   */
  propagators?: readonly PropagatorName[];
  /** See {@link OtelLogLevel}. Overrides `OTEL_LOG_LEVEL`. Default: `warn`. */
  logLevel?: OtelLogLevel;
  /**
   * How long `shutdown()` waits for the last spans, log records and metrics to be exported before it gives up on them (an
   * unreachable or hanging collector must not stop a process from exiting). Default: 5000.
   */
  shutdownTimeoutMillis?: number;
  /**
   * Whether requests the application makes with `fetch` (undici) or `node:http`/`node:https` get CLIENT spans
   * and carry the trace (`traceparent`) to the service they call, through OpenTelemetry's
   * `@opentelemetry/instrumentation-undici` and `@opentelemetry/instrumentation-http` (its client side only:
   * incoming requests stay drum-otel's). Turn it off when the application registers those instrumentations
   * itself, or two CLIENT spans would be made per request. Default: `true`.
   */
  outgoing?: boolean;
}

/**
 * What {@link setupOtel} returns: the registered providers and how to flush and stop them.
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel } from 'drum-otel/setup';
 *
 * const otel = setupOtel();
 * if (otel.enabled) otel.meterProvider?.getMeter('iris').createCounter('iris.model.loads').add(1);
 * process.once('SIGTERM', () => {
 *   void otel.shutdown().then(() => process.exit(0));
 * });
 * ```
 */
export interface OtelHandle {
  /** Whether OpenTelemetry is set up; `false` when something disabled it (see `disabledBy`). */
  readonly enabled: boolean;
  /** What disabled the setup (nothing was registered then), or `undefined` when enabled. */
  readonly disabledBy: OtelDisabledBy | undefined;
  /**
   * The globally registered tracer provider, or `undefined` when disabled or when the `OTEL_CONFIG_FILE` file
   * configures no `tracer_provider`.
   */
  readonly tracerProvider: TracerProvider | undefined;
  /**
   * The globally registered meter provider, or `undefined` when disabled or when no metrics are exported (no
   * `OTEL_METRICS_EXPORTER`, endpoint or `metricReader`; no `meter_provider` in the `OTEL_CONFIG_FILE` file): setupOtel registers none then.
   */
  readonly meterProvider: MeterProvider | undefined;
  /**
   * The globally registered logger provider, or `undefined` when disabled or when no log records are exported
   * (no `OTEL_LOGS_EXPORTER`, endpoint or `logRecordProcessor`; no `logger_provider` in the `OTEL_CONFIG_FILE` file): setupOtel registers none then.
   */
  readonly loggerProvider: LoggerProvider | undefined;
  /**
   * Exports every span that has ended so far, every log record emitted, and the metrics as they stand. Never rejects: a failed export
   * is reported through `diag`.
   */
  forceFlush(): Promise<void>;
  /**
   * Exports every span that has ended, every log record and the last metrics, waiting at most
   * `shutdownTimeoutMillis`, then stops the exporters and unregisters the providers, context manager and propagator, so that a later
   * {@link setupOtel} call sets up anew. Calling it again returns the same promise. Never rejects: failures go
   * to `diag`.
   */
  shutdown(): Promise<void>;
}

