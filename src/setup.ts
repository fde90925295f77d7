import {
  context,
  diag,
  DiagConsoleLogger,
  DiagLogLevel,
  propagation,
  trace,
  type Attributes,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  loggingErrorHandler,
  setGlobalErrorHandler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type BufferConfig,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { describeValue } from './describe';
import { isHeaderName } from './headers';

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
 * Options of {@link setupOtel}. Each one overrides the environment variable named in its description;
 * what is left out is taken from the environment, then from the defaults.
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
  /** Whether to set nothing up at all. Overrides `OTEL_SDK_DISABLED`. Default: `false`. */
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
   * `batch` (the default) exports spans in the background in batches, as `OTEL_BSP_*` configure it;
   * `simple` exports each span as it ends, which DataRobot DRUM uses for forked workers.
   */
  processor?: 'batch' | 'simple';
  /** See {@link OtelLogLevel}. Overrides `OTEL_LOG_LEVEL`. Default: `warn`. */
  logLevel?: OtelLogLevel;
  /**
   * How long `shutdown()` waits for the last spans to be exported before it gives up on them (an unreachable
   * or hanging collector must not stop a process from exiting). Default: 5000.
   */
  shutdownTimeoutMillis?: number;
}

/**
 * What {@link setupOtel} returns: the registered provider and how to flush and stop it.
 *
 * @category Setup
 * @example
 * ```ts
 * import { setupOtel } from 'drum-otel/setup';
 *
 * const otel = setupOtel();
 * if (otel.enabled) console.log('exporting spans of', otel.tracerProvider);
 * process.once('SIGTERM', () => {
 *   void otel.shutdown().then(() => process.exit(0));
 * });
 * ```
 */
export interface OtelHandle {
  /** `false` when `OTEL_SDK_DISABLED=true` (or `disabled: true`): nothing was registered. */
  readonly enabled: boolean;
  /** The globally registered provider, or `undefined` when disabled. */
  readonly tracerProvider: NodeTracerProvider | undefined;
  /**
   * Exports every span that has ended so far. Never rejects: a failed export is reported through `diag`.
   */
  forceFlush(): Promise<void>;
  /**
   * Exports every span that has ended, waiting at most `shutdownTimeoutMillis`, then stops the exporters
   * and unregisters the provider, context manager and propagator, so that a later {@link setupOtel} call
   * sets up anew. Calling it again returns the same promise. Never rejects: failures go to `diag`.
   */
  shutdown(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
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

/** `service.name` when neither `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` nor an option names one. */
export const DEFAULT_SERVICE_NAME = 'drum';
const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;
const LOG_LEVELS: Readonly<Record<OtelLogLevel, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};
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

function optionError(option: string, value: unknown, expected: string): Error {
  return new Error(`setupOtel: option ${option} is invalid (${describe(value)}); expected ${expected}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${describeValue(value)}`;
}

function checkOptions(options: SetupOtelOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('options', options, 'an object');
  const { serviceName, processor, exporter, spanProcessor, logLevel, shutdownTimeoutMillis, disabled } = options;
  if (disabled !== undefined && typeof disabled !== 'boolean') throw optionError('disabled', disabled, 'a boolean');
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === '')) {
    throw optionError('serviceName', serviceName, 'a non-empty string');
  }
  if (processor !== undefined && processor !== 'batch' && processor !== 'simple') {
    throw optionError('processor', processor, "'batch' or 'simple'");
  }
  if (exporter !== undefined && typeof exporter?.export !== 'function') {
    throw optionError('exporter', exporter, 'a SpanExporter');
  }
  if (spanProcessor !== undefined && typeof spanProcessor?.onEnd !== 'function') {
    throw optionError('spanProcessor', spanProcessor, 'a SpanProcessor');
  }
  if (spanProcessor !== undefined && (exporter !== undefined || processor !== undefined)) {
    throw new Error('setupOtel: option spanProcessor replaces exporter and processor; give either spanProcessor or those');
  }
  if (logLevel !== undefined && !Object.prototype.hasOwnProperty.call(LOG_LEVELS, logLevel)) {
    throw optionError('logLevel', logLevel, Object.keys(LOG_LEVELS).join(', '));
  }
  if (shutdownTimeoutMillis !== undefined && !(typeof shutdownTimeoutMillis === 'number' && shutdownTimeoutMillis > 0)) {
    throw optionError('shutdownTimeoutMillis', shutdownTimeoutMillis, 'a positive number of milliseconds');
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

// ---------------------------------------------------------------------------------------------------------
// Building and registering.

/**
 * The propagator setupOtel registers: B3 (extracting the single `b3` header and the multi `X-B3-*` headers,
 * injecting the multi headers), then W3C trace context and baggage. Extraction runs in that order and the
 * last one that finds a parent wins, so `traceparent` beats B3 when a request carries both.
 */
export function createPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

/**
 * The resource of every span: the SDK defaults, `service.name` `drum`, the process and host, then
 * `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME` (read from `process.env` by the resources package's env
 * detector), then the options.
 */
export function createResource(serviceName: string | undefined, attributes: Attributes): Resource {
  const overrides = serviceName === undefined ? attributes : { ...attributes, [ATTR_SERVICE_NAME]: serviceName };
  return defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
    .merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] }))
    .merge(resourceFromAttributes(overrides));
}

function createExporter(plan: ExporterPlan): SpanExporter {
  switch (plan.kind) {
    case 'given':
      return plan.exporter;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp': {
      const { url, headers, protocol } = plan.otlp;
      const Exporter = protocol === 'http/json' ? OTLPJsonTraceExporter : OTLPProtobufTraceExporter;
      return new Exporter({ url, headers: { ...headers } });
    }
  }
}

function createProcessors(plan: Extract<SetupPlan, { enabled: true }>): SpanProcessor[] {
  const { processor } = plan;
  if (typeof processor === 'object') return [processor];
  return plan.exporters.map((exporterPlan) => {
    const exporter = createExporter(exporterPlan);
    return processor === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { ...plan.batch });
  });
}

let current: OtelHandle | undefined;

/**
 * Sets up the OpenTelemetry SDK for a DRUM-style model server, the TypeScript counterpart of DRUM's
 * `setup_otel`: a `NodeTracerProvider` registered globally with an `AsyncLocalStorageContextManager` and a
 * propagator for W3C trace context, W3C baggage and B3 (single and multi header), exporting as the standard
 * environment variables say, with explicit options overriding them:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `OTEL_SDK_DISABLED` | `true`: register nothing, return a disabled handle | `false` |
 * | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | the resource | `service.name` `drum` |
 * | `OTEL_TRACES_EXPORTER` | `otlp`, `console` (comma-separated), or `none` | `otlp` when an endpoint is set, else none |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `v1/traces` is appended | `http://localhost:4318` |
 * | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL, used as it is | |
 * | `OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS` | `name=value,...`, percent-encoded | |
 * | `OTEL_EXPORTER_OTLP_PROTOCOL`, `..._TRACES_PROTOCOL` | `http/protobuf` or `http/json` | `http/protobuf` |
 * | `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | batch processor tuning | the SDK's |
 * | `OTEL_LOG_LEVEL` | level of the console `diag` logger installed (export failures are logged there) | `warn` |
 *
 * With no exporter variable and no endpoint, tracing stays configured (spans are created and propagated)
 * but nothing is exported, as DRUM does. Calling `setupOtel` again returns the same handle, until its
 * `shutdown()` has run. Instrumentation that obtained its tracer from the global provider before a
 * `shutdown()` keeps using the provider that was shut down.
 *
 * @param options - See {@link SetupOtelOptions}.
 * @returns The handle whose `shutdown()` a server calls on SIGTERM/SIGINT, after closing its listener.
 * @throws Error naming the variable (or option) and its value when the configuration is invalid: an unknown
 *   exporter or protocol, a malformed endpoint URL, header list or number. Nothing is registered then. Also
 *   when another tracer provider is already registered globally.
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
  current = plan.enabled ? register(plan) : disabledHandle();
  return current;
}

function disabledHandle(): OtelHandle {
  const handle: OtelHandle = {
    enabled: false,
    tracerProvider: undefined,
    forceFlush: async () => {},
    shutdown: async () => {
      if (current === handle) current = undefined;
    },
  };
  return handle;
}

function register(plan: Extract<SetupPlan, { enabled: true }>): OtelHandle {
  const provider = new NodeTracerProvider({
    resource: createResource(plan.serviceName, plan.resourceAttributes),
    spanProcessors: createProcessors(plan),
  });
  // The provider first: when another SDK owns the globals, fail before touching the rest.
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown();
    throw new Error('setupOtel: a tracer provider is already registered globally; setupOtel was not applied');
  }
  propagation.setGlobalPropagator(createPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (plan.logLevel !== 'none') {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: LOG_LEVELS[plan.logLevel], suppressOverrideMessage: true });
  }
  setGlobalErrorHandler(reportExportError);
  return enabledHandle(provider, plan.shutdownTimeoutMillis);
}

/**
 * What the SDK reports through its global error handler (failed exports, mostly), as one `diag.error` line:
 * the default handler logs each failure as a JSON dump with its stack, dozens of lines a second while a
 * collector is down.
 */
export function reportExportError(error: unknown): void {
  diag.error(`drum-otel: OpenTelemetry SDK error (usually a failed span export): ${errorText(error)}`);
}

/** An error as one line: its message (a provider's forceFlush rejects with a list of them). */
function errorText(error: unknown): string {
  if (Array.isArray(error)) return error.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function enabledHandle(provider: NodeTracerProvider, shutdownTimeoutMillis: number): OtelHandle {
  let stopping: Promise<void> | undefined;
  const handle: OtelHandle = {
    enabled: true,
    tracerProvider: provider,
    forceFlush: () =>
      provider.forceFlush().catch((error: unknown) => diag.error(`drum-otel: forceFlush failed: ${errorText(error)}`)),
    shutdown: () => (stopping ??= stop(provider, shutdownTimeoutMillis).finally(() => unregister(handle))),
  };
  return handle;
}

async function stop(provider: NodeTracerProvider, timeoutMillis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMillis, 'timeout');
    timer.unref();
  });
  try {
    const outcome = await Promise.race([flushThenShutdown(provider), timedOut]);
    if (outcome === 'timeout') {
      diag.warn(`drum-otel: spans not exported within ${timeoutMillis} ms of shutdown are dropped`);
    }
  } catch (error) {
    diag.error(`drum-otel: shutting the tracer provider down failed: ${errorText(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

async function flushThenShutdown(provider: NodeTracerProvider): Promise<void> {
  // The simple processor's shutdown() does not wait for its exports in flight (one waiting for the resource's
  // async attributes, say): a flush first makes every ended span leave.
  await provider
    .forceFlush()
    .catch((error: unknown) => diag.error(`drum-otel: exporting the last spans at shutdown failed: ${errorText(error)}`));
  await provider.shutdown();
}

function unregister(handle: OtelHandle): void {
  if (current !== handle) return;
  current = undefined;
  setGlobalErrorHandler(loggingErrorHandler());
  trace.disable();
  propagation.disable();
  context.disable();
}
