import type { Attributes } from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EnvironmentReader, type Environment } from './environment';
import { LOG_LEVEL_NAMES } from './diag';
import { checkOptions } from './options';
import { DEFAULT_PROPAGATORS, PROPAGATOR_NAMES } from './propagator';
import type { OtelDisabledBy, OtelLogLevel, PropagatorName, SetupOtelOptions } from './types';

// Reading the configuration: a pure function of the environment and the options. Only what the SDK beneath
// does not read itself is read here: the exporters and the batch processor read their own variables when they
// are built.

/** The OTLP/HTTP wire formats the installed exporters speak. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** An exporter to build, as `OTEL_TRACES_EXPORTER` names it. */
export type ExporterPlan = { readonly kind: 'otlp'; readonly protocol: OtlpProtocol } | { readonly kind: 'console' };

/** What setupOtel builds for spans. */
export interface TracesPlan {
  /** The exporters, or the one given as an option. */
  readonly exporters: readonly (ExporterPlan | { readonly kind: 'given'; readonly exporter: SpanExporter })[];
  /** The processor wrapping each exporter, or the one given as an option instead of them. */
  readonly processor: 'batch' | 'simple' | SpanProcessor;
}

/** What setupOtel builds for metrics: the reader given as an option, or periodic readers of exporters. */
export type MetricsPlan =
  | { readonly reader: IMetricReader }
  | {
      readonly exporters: readonly ExporterPlan[];
      readonly exportIntervalMillis: number;
      readonly exportTimeoutMillis: number;
    };

/** Everything setupOtel builds when enabled, decided before it builds anything. */
export interface EnabledPlan {
  readonly enabled: true;
  readonly logLevel: OtelLogLevel;
  readonly serviceName: string | undefined;
  readonly resourceAttributes: Attributes;
  readonly propagators: readonly PropagatorName[];
  readonly traces: TracesPlan;
  readonly metrics: MetricsPlan;
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

/** What setupOtel will do. */
export type SetupPlan = EnabledPlan | DisabledPlan;

const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;
// The specification's defaults for OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT.
const DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS = 60_000;
const DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS = 30_000;
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const EXPORTER_NAMES = ['otlp', 'console'] as const;

/**
 * Decides everything {@link setupOtel} builds from `env` and `options` (options win). A bad option throws an
 * Error naming it; a bad variable becomes a warning of the plan and its default is used. Variables of a part
 * that is not used (everything when disabled) are not read.
 */
export function planSetup(env: Environment, options: SetupOtelOptions = {}): SetupPlan {
  checkOptions(options);
  const reader = new EnvironmentReader(env);
  const disabledBy = readDisabledBy(reader, options);
  if (disabledBy !== undefined) return { enabled: false, disabledBy, warnings: reader.warnings };
  checkResourceAttributes(reader);
  return {
    enabled: true,
    logLevel: options.logLevel ?? reader.choice('OTEL_LOG_LEVEL', LOG_LEVEL_NAMES, 'warn') ?? 'warn',
    serviceName: options.serviceName,
    resourceAttributes: { ...options.resourceAttributes },
    propagators: options.propagators ?? reader.names('OTEL_PROPAGATORS', PROPAGATOR_NAMES) ?? DEFAULT_PROPAGATORS,
    traces: planTraces(reader, options),
    metrics: planMetrics(reader, options),
    shutdownTimeoutMillis: options.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
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
  if (spanProcessor !== undefined) return { exporters: [], processor: spanProcessor };
  return {
    exporters: exporter !== undefined ? [{ kind: 'given', exporter }] : readExporters(reader, 'TRACES'),
    processor: options.processor ?? 'batch',
  };
}

function planMetrics(reader: EnvironmentReader, options: SetupOtelOptions): MetricsPlan {
  if (options.metricReader !== undefined) return { reader: options.metricReader };
  const exporters = readExporters(reader, 'METRICS');
  if (exporters.length === 0) {
    return { exporters, exportIntervalMillis: DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS, exportTimeoutMillis: DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS };
  }
  return { exporters, ...readMetricExportTiming(reader) };
}

/**
 * `OTEL_METRIC_EXPORT_INTERVAL` and `OTEL_METRIC_EXPORT_TIMEOUT`; the timeout is cut to the interval (the
 * reader refuses a longer one), with a warning when it was set that long.
 */
function readMetricExportTiming(reader: EnvironmentReader): { exportIntervalMillis: number; exportTimeoutMillis: number } {
  const interval = reader.milliseconds('OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MILLIS;
  const timeout = reader.milliseconds('OTEL_METRIC_EXPORT_TIMEOUT', DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS);
  if (timeout !== undefined && timeout > interval) {
    reader.invalid('OTEL_METRIC_EXPORT_TIMEOUT', String(timeout), `at most OTEL_METRIC_EXPORT_INTERVAL (${interval})`, `using ${interval}`);
  }
  return { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(timeout ?? DEFAULT_METRIC_EXPORT_TIMEOUT_MILLIS, interval) };
}

/** A signal, as the `OTEL_EXPORTER_OTLP_<SIGNAL>_*` variables spell it. */
export type Signal = 'TRACES' | 'METRICS';

/**
 * The exporters `OTEL_TRACES_EXPORTER` or `OTEL_METRICS_EXPORTER` names (a comma-separated list of `otlp`,
 * `console`, or `none`). Unset, it means `otlp` when an OTLP endpoint variable is set and no exporter
 * otherwise: the signal stays configured but exports nothing, as DRUM does.
 */
export function readExporters(reader: EnvironmentReader, signal: Signal): ExporterPlan[] {
  const endpoints = [`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`, 'OTEL_EXPORTER_OTLP_ENDPOINT'];
  const names =
    reader.names(`OTEL_${signal}_EXPORTER`, EXPORTER_NAMES) ??
    (endpoints.some((variable) => reader.value(variable) !== undefined) ? ['otlp'] : []);
  return names.map((name) => {
    if (name === 'console') return { kind: 'console' };
    endpoints.forEach((variable) => checkEndpoint(reader, variable));
    return { kind: 'otlp', protocol: readProtocol(reader, signal) };
  });
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
function readProtocol(reader: EnvironmentReader, signal: Signal): OtlpProtocol {
  const read = (variable: string) =>
    reader.choice(variable, PROTOCOLS, 'http/protobuf', ' (drum-otel does not export over gRPC)');
  return read(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? read('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
}

/**
 * Warns about an endpoint that is a URL but not an http(s) one (`collector:4318` parses as the scheme
 * `collector:`): the exporter accepts it, and every export fails. One that is no URL at all the exporter
 * reports itself.
 */
function checkEndpoint(reader: EnvironmentReader, variable: string): void {
  const value = reader.value(variable);
  if (value === undefined || !URL.canParse(value)) return;
  if (!['http:', 'https:'].includes(new URL(value).protocol)) {
    reader.invalid(variable, value, 'an http:// or https:// URL', 'every export to it fails');
  }
}

/**
 * Checks `OTEL_RESOURCE_ATTRIBUTES` the way the resources package parses it: that package drops the whole
 * variable over one bad entry and says so only at debug level.
 */
function checkResourceAttributes(reader: EnvironmentReader): void {
  const value = reader.value('OTEL_RESOURCE_ATTRIBUTES');
  if (value === undefined) return;
  const bad = value.split(',').find((entry) => entry.trim() !== '' && !isResourceAttribute(entry));
  if (bad !== undefined) {
    reader.invalid(
      'OTEL_RESOURCE_ATTRIBUTES',
      value,
      `key=value entries (percent-encode , and =), not ${JSON.stringify(bad.trim())}`,
      'the SDK ignores the whole variable',
    );
  }
}

function isResourceAttribute(entry: string): boolean {
  const parts = entry.split('=');
  if (parts.length !== 2 || parts[0].trim() === '') return false;
  try {
    parts.forEach((part) => decodeURIComponent(part.trim()));
    return true;
  } catch {
    return false;
  }
}
