import type { Attributes } from '@opentelemetry/api';
import type { BufferConfig, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isHeaderName } from '../headers';
import { LOG_LEVELS } from './diag';
import { checkOptions } from './options';
import type { OtelLogLevel, SetupOtelOptions } from './types';

// Reading the configuration: pure functions of the environment and the options, so that every mistake is
// found before anything is registered.

/** The environment as setupOtel reads it: `process.env` or a record a test makes. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The OTLP/HTTP wire formats the installed exporters speak. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Where and how the `otlp` exporter sends spans. */
export interface OtlpSettings {
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
}

/** One exporter to build: named by `OTEL_TRACES_EXPORTER`, or given as an option. */
export type ExporterPlan =
  | { readonly kind: 'otlp'; readonly otlp: OtlpSettings }
  | { readonly kind: 'console' }
  | { readonly kind: 'given'; readonly exporter: SpanExporter };

/** The tuning `OTEL_BSP_*` gives the batch processor (only what is set). */
export type BatchSettings = BufferConfig;

/** Everything setupOtel will build, decided before it builds anything. */
export type SetupPlan =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly serviceName: string | undefined;
      readonly resourceAttributes: Attributes;
      readonly exporters: readonly ExporterPlan[];
      readonly processor: 'batch' | 'simple' | SpanProcessor;
      readonly batch: BatchSettings;
      readonly logLevel: OtelLogLevel;
      readonly shutdownTimeoutMillis: number;
    };

const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const EXPORTER_NAMES = ['otlp', 'console', 'none'] as const;
const BATCH_VARIABLES: readonly (readonly [variable: string, setting: keyof BatchSettings, minimum: number])[] = [
  ['OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMillis', 0],
  ['OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMillis', 1],
  ['OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize', 1],
  ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize', 1],
];

function configError(variable: string, value: string, expected: string): Error {
  return new Error(`setupOtel: ${variable}=${JSON.stringify(value)} is invalid; ${expected}`);
}

/** A variable's value, `undefined` when unset or blank (the OpenTelemetry spec treats empty as unset). */
export function envValue(env: Environment, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `true`/`false` in any case, or `undefined` when unset. */
export function parseBooleanVariable(env: Environment, variable: string): boolean | undefined {
  const value = envValue(env, variable);
  if (value === undefined) return undefined;
  const lowerCase = value.toLowerCase();
  if (lowerCase === 'true' || lowerCase === 'false') return lowerCase === 'true';
  throw configError(variable, value, 'expected true or false');
}

/** A whole number of at least `minimum`, or `undefined` when unset. */
export function parseIntegerVariable(env: Environment, variable: string, minimum: number): number | undefined {
  const value = envValue(env, variable);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) {
    throw configError(variable, value, `expected a whole number >= ${minimum}`);
  }
  return Number(value);
}

/** `OTEL_LOG_LEVEL`, or `undefined` when unset. */
export function readLogLevel(env: Environment): OtelLogLevel | undefined {
  const value = envValue(env, 'OTEL_LOG_LEVEL');
  if (value === undefined) return undefined;
  const level = value.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(LOG_LEVELS, level)) return level as OtelLogLevel;
  throw configError('OTEL_LOG_LEVEL', value, `expected one of ${Object.keys(LOG_LEVELS).join(', ')}`);
}

/** The `OTEL_BSP_*` settings that are set. */
export function readBatchSettings(env: Environment): BatchSettings {
  const settings: BatchSettings = {};
  for (const [variable, setting, minimum] of BATCH_VARIABLES) {
    const value = parseIntegerVariable(env, variable, minimum);
    if (value !== undefined) settings[setting] = value;
  }
  return settings;
}

/** An absolute http(s) URL, or an Error naming the variable. */
function httpUrl(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(variable, value, 'expected an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(variable, value, 'expected an absolute http:// or https:// URL');
  }
  return url;
}

/**
 * The URL spans are posted to: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` with `v1/traces` appended to its path, else the spec's default.
 */
export function readOtlpUrl(env: Environment): string {
  const specific = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (specific !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific).href;
  const base = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return DEFAULT_OTLP_TRACES_URL;
  const url = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/** `name=value,name=value` with percent-encoded names and values, as the OTLP header variables hold them. */
export function parseHeaderList(variable: string, value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    const separator = entry.indexOf('=');
    const name = separator === -1 ? undefined : percentDecoded(variable, value, entry.slice(0, separator).trim());
    if (!isHeaderName(name)) {
      throw configError(variable, value, `entry ${JSON.stringify(entry.trim())} is not name=value with a valid header name`);
    }
    headers[name] = percentDecoded(variable, value, entry.slice(separator + 1).trim());
  }
  return headers;
}

function percentDecoded(variable: string, value: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw configError(variable, value, `${JSON.stringify(part)} is not valid percent-encoding`);
  }
}

/** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
export function readOtlpProtocol(env: Environment): OtlpProtocol {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = envValue(env, variable);
    if (value === undefined) continue;
    if ((PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    throw configError(variable, value, `expected ${PROTOCOLS.join(' or ')} (grpc is not supported)`);
  }
  return 'http/protobuf';
}

/** The `otlp` exporter's settings from the `OTEL_EXPORTER_OTLP_*` variables. */
export function readOtlpSettings(env: Environment): OtlpSettings {
  return {
    url: readOtlpUrl(env),
    protocol: readOtlpProtocol(env),
    // The signal-specific variable's headers win over the general one's, as the spec says.
    headers: {
      ...parseHeaderList('OTEL_EXPORTER_OTLP_HEADERS', envValue(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
      ...parseHeaderList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    },
  };
}

/**
 * The exporters `OTEL_TRACES_EXPORTER` names (a comma-separated list of `otlp`, `console`, or just `none`).
 * Unset, it means `otlp` when an OTLP endpoint variable is set and no exporter otherwise: tracing stays
 * configured but exports nothing, as DRUM does.
 */
export function readExporters(env: Environment): ExporterPlan[] {
  const value = envValue(env, 'OTEL_TRACES_EXPORTER');
  const hasEndpoint = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].some(
    (variable) => envValue(env, variable) !== undefined,
  );
  const names = value === undefined ? (hasEndpoint ? ['otlp'] : []) : value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(EXPORTER_NAMES as readonly string[]).includes(name)) {
      throw configError('OTEL_TRACES_EXPORTER', value!, `${JSON.stringify(name)} is not one of ${EXPORTER_NAMES.join(', ')}`);
    }
  }
  if (names.includes('none')) {
    if (names.length > 1) throw configError('OTEL_TRACES_EXPORTER', value!, 'none cannot be combined with other exporters');
    return [];
  }
  return [...new Set(names)].map((name) =>
    name === 'otlp' ? { kind: 'otlp', otlp: readOtlpSettings(env) } : { kind: 'console' },
  );
}

/** Checks `OTEL_RESOURCE_ATTRIBUTES` the way the resources package parses it, which only logs at debug level. */
export function checkResourceAttributes(env: Environment): void {
  const value = envValue(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (value === undefined) return;
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2 || parts[0].trim() === '') {
      throw configError('OTEL_RESOURCE_ATTRIBUTES', value, `entry ${JSON.stringify(entry)} is not key=value (percent-encode , and =)`);
    }
    parts.forEach((part) => percentDecoded('OTEL_RESOURCE_ATTRIBUTES', value, part.trim()));
  }
}

/**
 * Decides everything {@link setupOtel} builds from `env` and `options` (options win), or throws an Error
 * naming the variable or option at fault. Variables of a part that is not used (OTLP settings when no `otlp`
 * exporter is chosen, everything when disabled) are not read.
 */
export function planSetup(env: Environment, options: SetupOtelOptions = {}): SetupPlan {
  checkOptions(options);
  if (options.disabled ?? parseBooleanVariable(env, 'OTEL_SDK_DISABLED') ?? false) return { enabled: false };
  checkResourceAttributes(env);
  const { exporter, spanProcessor } = options;
  const exporters: ExporterPlan[] =
    spanProcessor !== undefined ? [] : exporter !== undefined ? [{ kind: 'given', exporter }] : readExporters(env);
  return {
    enabled: true,
    serviceName: options.serviceName,
    resourceAttributes: { ...options.resourceAttributes },
    exporters,
    processor: spanProcessor ?? options.processor ?? 'batch',
    batch: readBatchSettings(env),
    logLevel: options.logLevel ?? readLogLevel(env) ?? 'warn',
    shutdownTimeoutMillis: options.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
  };
}

