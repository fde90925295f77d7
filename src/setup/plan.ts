import type { Attributes } from '@opentelemetry/api';
import type { LogRecordLimits, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace';
import { readBatchOptions, type BatchOptions } from './batch';
import { planConfigFile, type ConfigFilePlan } from './config-file-plan';
import { LOG_LEVEL_NAMES } from './diag';
import { EnvironmentReader, type Environment } from './environment';
import { readExporters, type ExporterPlan } from './exporter-plan';
import { checkOptions } from './options';
import { DEFAULT_PROPAGATORS, PROPAGATOR_NAMES } from './propagator';
import { checkResourceAttributes } from './resource-attributes';
import { readSampler, type SamplerPlan } from './sampler';
import { readLogRecordLimits, readSpanLimits } from './limits';
import type { OtelDisabledBy, OtelLogLevel, PropagatorName, SetupOtelOptions } from './types';

// Reading the configuration: a pure function of the environment and the options. Everything but what the OTLP
// exporters read themselves (OTEL_EXPORTER_OTLP_*) is read here: the SDK's providers and processors read no
// variable.

/** What setupOtel builds for spans. */
export interface TracesPlan {
  /** The exporters, or the one given as an option. */
  readonly exporters: readonly (ExporterPlan | { readonly kind: 'given'; readonly exporter: SpanExporter })[];
  /** The processor wrapping each exporter, or the one given as an option instead of them. */
  readonly processor: 'batch' | 'simple' | SpanProcessor;
  /** `OTEL_BSP_*`, read when a batch processor is built. */
  readonly batch: BatchOptions;
  readonly sampler: SamplerPlan;
  readonly spanLimits: SpanLimits;
}

/** How often metrics are exported, and how long one export may take. */
export interface MetricExportTiming {
  readonly exportIntervalMillis: number;
  readonly exportTimeoutMillis: number;
}

/** What setupOtel builds for metrics: the reader given as an option, or periodic readers of exporters. */
export type MetricsPlan =
  | { readonly reader: IMetricReader }
  | ({ readonly exporters: readonly ExporterPlan[] } & MetricExportTiming);

/** What setupOtel builds for log records: a LoggerProvider only when there is a processor. */
export interface LogsPlan {
  /** The exporters `OTEL_LOGS_EXPORTER` names. */
  readonly exporters: readonly ExporterPlan[];
  /** The processor wrapping each exporter, or the one given as an option instead of them. */
  readonly processor: 'batch' | 'simple' | LogRecordProcessor;
  /** `OTEL_BLRP_*`, read when a batch processor is built. */
  readonly batch: BatchOptions;
  /** `OTEL_LOGRECORD_ATTRIBUTE_*`, read when there is a processor. */
  readonly limits: LogRecordLimits;
}

/** Everything setupOtel builds when enabled, decided before it builds anything. */
export interface EnabledPlan {
  readonly enabled: true;
  readonly logLevel: OtelLogLevel;
  readonly serviceName: string | undefined;
  readonly resourceAttributes: Attributes;
  readonly propagators: readonly PropagatorName[];
  readonly traces: TracesPlan;
  readonly metrics: MetricsPlan;
  readonly logs: LogsPlan;
  readonly shutdownTimeoutMillis: number;
  /** What was wrong in the environment, to be logged once the logger is installed. */
  readonly warnings: readonly string[];
}

/** A setup that registers nothing. */
export interface DisabledPlan {
  readonly enabled: false;
  readonly disabledBy: OtelDisabledBy;
  readonly warnings: readonly string[];
}

/** What setupOtel will do: set up from the environment, from the file `OTEL_CONFIG_FILE` names, or nothing. */
export type SetupPlan = EnabledPlan | ConfigFilePlan | DisabledPlan;

const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;
/** The specification's defaults for OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT. */
const DEFAULT_METRIC_EXPORT_TIMING: MetricExportTiming = { exportIntervalMillis: 60_000, exportTimeoutMillis: 30_000 };

/**
 * Decides everything {@link setupOtel} builds from `env` and `options` (options win). A bad option throws an
 * Error naming it; a bad variable becomes a warning of the plan and its default is used. Variables of a part
 * that is not used (everything when disabled, everything else when `OTEL_CONFIG_FILE` names the
 * configuration) are not read. Disabling wins over `OTEL_CONFIG_FILE`, as it does in DRUM.
 */
export function planSetup(env: Environment, options: SetupOtelOptions = {}): SetupPlan {
  checkOptions(options);
  const reader = new EnvironmentReader(env);
  const disabledBy = readDisabledBy(reader, options);
  if (disabledBy !== undefined) return { enabled: false, disabledBy, warnings: reader.warnings };
  const shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS;
  const configFile = reader.value('OTEL_CONFIG_FILE');
  if (configFile !== undefined) return planConfigFile(configFile, options, shutdownTimeoutMillis, reader.warnings);
  checkResourceAttributes(reader);
  return {
    enabled: true,
    logLevel: options.logLevel ?? reader.choice('OTEL_LOG_LEVEL', LOG_LEVEL_NAMES, 'warn') ?? 'warn',
    serviceName: options.serviceName,
    resourceAttributes: { ...options.resourceAttributes },
    propagators: options.propagators ?? reader.names('OTEL_PROPAGATORS', PROPAGATOR_NAMES) ?? DEFAULT_PROPAGATORS,
    traces: planTraces(reader, options),
    metrics: planMetrics(reader, options),
    logs: planLogs(reader, options),
    shutdownTimeoutMillis,
    warnings: reader.warnings,
  };
}

/** The option `disabled` when given; else `OTEL_SDK_DISABLED`, then DRUM's runtime parameter of that name. */
function readDisabledBy(reader: EnvironmentReader, options: SetupOtelOptions): OtelDisabledBy | undefined {
  if (options.disabled !== undefined) return options.disabled ? 'disabled option' : undefined;
  if (reader.boolean('OTEL_SDK_DISABLED')) return 'OTEL_SDK_DISABLED';
  if (reader.runtimeParameterBoolean('MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED') === true) {
    return 'MLOPS_RUNTIME_PARAM_OTEL_SDK_DISABLED';
  }
  return undefined;
}

function planTraces(reader: EnvironmentReader, options: SetupOtelOptions): TracesPlan {
  const { exporter, spanProcessor } = options;
  const exporters: TracesPlan['exporters'] =
    spanProcessor !== undefined ? [] : exporter !== undefined ? [{ kind: 'given', exporter }] : readExporters(reader, 'TRACES');
  const processor = spanProcessor ?? options.processor ?? 'batch';
  return {
    exporters,
    processor,
    batch: processor === 'batch' && exporters.length > 0 ? readBatchOptions(reader, 'OTEL_BSP') : {},
    sampler: readSampler(reader),
    spanLimits: readSpanLimits(reader),
  };
}

function planMetrics(reader: EnvironmentReader, options: SetupOtelOptions): MetricsPlan {
  if (options.metricReader !== undefined) return { reader: options.metricReader };
  const exporters = readExporters(reader, 'METRICS');
  // Without an exporter the timing is not read: nothing would use it.
  return { exporters, ...(exporters.length > 0 ? readMetricExportTiming(reader) : DEFAULT_METRIC_EXPORT_TIMING) };
}

/**
 * The `logRecordProcessor` option, else the exporters of `OTEL_LOGS_EXPORTER` in the processor the `processor`
 * option names (batch by default). Without a processor nothing else is read: no LoggerProvider is built.
 */
function planLogs(reader: EnvironmentReader, options: SetupOtelOptions): LogsPlan {
  const given = options.logRecordProcessor;
  const exporters = given !== undefined ? [] : readExporters(reader, 'LOGS');
  const processor = given ?? options.processor ?? 'batch';
  const used = given !== undefined || exporters.length > 0;
  return {
    exporters,
    processor,
    batch: processor === 'batch' && used ? readBatchOptions(reader, 'OTEL_BLRP') : {},
    limits: used ? readLogRecordLimits(reader) : {},
  };
}

/**
 * `OTEL_METRIC_EXPORT_INTERVAL` and `OTEL_METRIC_EXPORT_TIMEOUT`; the timeout is cut to the interval (the
 * reader refuses a longer one), with a warning when it was set that long.
 */
function readMetricExportTiming(reader: EnvironmentReader): MetricExportTiming {
  const { exportIntervalMillis: defaultInterval, exportTimeoutMillis: defaultTimeout } = DEFAULT_METRIC_EXPORT_TIMING;
  const interval = reader.milliseconds('OTEL_METRIC_EXPORT_INTERVAL', defaultInterval) ?? defaultInterval;
  const timeout = reader.milliseconds('OTEL_METRIC_EXPORT_TIMEOUT', defaultTimeout);
  if (timeout !== undefined && timeout > interval) {
    const expected = `at most OTEL_METRIC_EXPORT_INTERVAL (${interval})`;
    reader.invalid('OTEL_METRIC_EXPORT_TIMEOUT', String(timeout), expected, `using ${interval}`);
  }
  return { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(timeout ?? defaultTimeout, interval) };
}
