/**
 * The OpenTelemetry set-up of each configuration, done in the server process before Express is loaded
 * (instrumentation-http and instrumentation-express patch modules as they are required). Only server.ts
 * loads this file, and only for configurations that use OpenTelemetry: `baseline` loads none of it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, createContextKey, logs, metrics, propagation, ROOT_CONTEXT, SeverityNumber, SpanKind, trace, ValueType, type Attributes, type Context, type Histogram } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  type ExportResult,
} from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { OTLP_URL_ENV, type Ablation, type Framework, type Sdk } from './configs';

/** What the server needs from the tracing set-up of its configuration. */
export interface Tracing {
  /** Exports every finished span, so a window accounts for the export work of its own requests. */
  flush(): Promise<void>;
  /** Spans handed to the exporter so far; `null` when the set-up's exporter cannot be watched (setupOtel's). */
  exportedSpans(): number | null;
}

/** Passes spans on to another exporter (or nowhere) and counts them: spans per request is a sanity check. */
class CountingExporter implements SpanExporter {
  count = 0;
  constructor(private readonly next: SpanExporter | undefined) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.count += spans.length;
    if (this.next === undefined) done({ code: ExportResultCode.SUCCESS });
    else this.next.export(spans, done);
  }

  shutdown(): Promise<void> {
    return this.next?.shutdown() ?? Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return this.next?.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * The SDK every traced configuration shares: a TracerProvider with the default BatchSpanProcessor, an
 * AsyncLocalStorage context manager and the W3C propagators, registered as an application registers them.
 */
function registerProvider(exporter: SpanExporter | undefined): Tracing {
  const counter = new CountingExporter(exporter);
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: counter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  return { flush: () => provider.forceFlush(), exportedSpans: () => counter.count };
}

function receiverUrl(): string {
  const url = process.env[OTLP_URL_ENV];
  if (url === undefined) throw new Error(`${OTLP_URL_ENV} is not set: the parent starts the OTLP receiver`);
  return url;
}

/**
 * The standard variables of a `setupOtel` configuration, set in this process before setupOtel reads them
 * (and set even when they mean the default, so that a variable of the caller's shell cannot leak in).
 */
function shippedEnvironment(sdk: Extract<Sdk, { kind: 'setupOtel' }>): Record<string, string> {
  return {
    OTEL_SDK_DISABLED: String(sdk.disabled === true),
    OTEL_TRACES_EXPORTER: sdk.exporter,
    ...(sdk.exporter === 'otlp' ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiverUrl() } : {}),
    OTEL_TRACES_SAMPLER: sdk.ratio === 1 ? 'parentbased_always_on' : sdk.ratio === 0 ? 'always_off' : 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(sdk.ratio),
    // No metrics or log records exported (setupOtel then registers no meter or logger provider), whatever the shell says.
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_LOG_LEVEL: sdk.ablation === 'no-diag' ? 'none' : 'warn',
  };
}

/** Takes one part of the shipped set-up away again (see {@link Ablation}). */
function ablate(ablation: Ablation): void {
  switch (ablation) {
    case 'no-provider-no-propagator':
      propagation.disable();
      trace.disable();
      return;
    case 'no-provider':
      // instrumentControllers runs later: it gets the tracer of the fresh global proxy, which has no provider.
      trace.disable();
      return;
    case 'w3c-propagator':
      propagation.disable();
      propagation.setGlobalPropagator(
        new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
      );
      return;
    case 'no-context-manager':
      context.disable();
      return;
    case 'no-diag':
      // OTEL_LOG_LEVEL=none (shippedEnvironment) already kept setupOtel from installing its logger.
      return;
  }
}

/** `setupOtel()` exactly as the example server calls it when OTEL_TRACES_EXPORTER is set (no options). */
async function setUpShipped(sdk: Extract<Sdk, { kind: 'setupOtel' }>): Promise<Tracing> {
  Object.assign(process.env, shippedEnvironment(sdk));
  const { setupOtel } = await import('drum-otel/setup');
  const otel = setupOtel();
  if (sdk.ablation !== undefined) ablate(sdk.ablation);
  return { flush: () => otel.forceFlush(), exportedSpans: () => null };
}

/** The framework's upstream instrumentation (-express or -koa), loaded only for the configuration that uses it. */
async function frameworkInstrumentation(framework: Framework): Promise<Instrumentation> {
  if (framework === 'koa') return new (await import('@opentelemetry/instrumentation-koa')).KoaInstrumentation();
  return new (await import('@opentelemetry/instrumentation-express')).ExpressInstrumentation();
}

/** instrumentation-http and the framework's, registered before the framework loads (they patch it as it is required). */
async function registerAutoInstrumentation(framework: Framework): Promise<void> {
  const [{ registerInstrumentations }, { HttpInstrumentation }, instrumentation] = await Promise.all([
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    frameworkInstrumentation(framework),
  ]);
  registerInstrumentations({ instrumentations: [new HttpInstrumentation(), instrumentation] });
}

/**
 * An SDK MeterProvider registered globally with a reader that nothing but `collect` reads; a flush calls it,
 * so each window pays for its own aggregation and collection.
 */
async function registerMeters(): Promise<() => Promise<void>> {
  const [{ MeterProvider }, { CollectingReader }] = await Promise.all([
    import('@opentelemetry/sdk-metrics'),
    import('./collecting-reader'),
  ]);
  const reader = new CollectingReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return async () => {
    await reader.collect();
  };
}

/** `drum-otel` plus an SDK MeterProvider registered globally, so drum-otel's HTTP server metrics are recorded. */
async function registerProviderAndMeters(): Promise<Tracing> {
  const tracing = registerProvider(undefined);
  const collect = await registerMeters();
  return {
    flush: async () => {
      await tracing.flush();
      await collect();
    },
    exportedSpans: tracing.exportedSpans,
  };
}

/**
 * `drum-otel` plus an SDK LoggerProvider registered globally, its batch processor (the SDK's defaults)
 * exporting to an exporter that drops the records; a flush exports what the window wrote.
 */
async function registerProviderAndLogs(): Promise<Tracing> {
  const tracing = registerProvider(undefined);
  const { BatchLogRecordProcessor, LoggerProvider } = await import('@opentelemetry/sdk-logs');
  const dropping = {
    export: (_records: unknown, done: (result: ExportResult) => void) => done({ code: ExportResultCode.SUCCESS }),
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: dropping })] });
  logs.setGlobalLoggerProvider(provider);
  return {
    flush: async () => {
      await tracing.flush();
      await provider.forceFlush();
    },
    exportedSpans: tracing.exportedSpans,
  };
}

/**
 * The `drum-otel+logs` middleware: one access-log record per request, written through the Logs API when the
 * response has been handed to the socket: what an application's access log costs with the SDK's logs beside
 * drum-otel.
 */
export function logRecordMiddleware(incoming: unknown, outgoing: unknown, next: () => void): void {
  const request = incoming as IncomingMessage;
  const response = outgoing as ServerResponse;
  response.once('finish', () => {
    ACCESS_LOG.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'request served',
      attributes: { 'http.request.method': request.method, 'http.response.status_code': response.statusCode },
    });
  });
  next();
}

const ACCESS_LOG = logs.getLogger('drum-otel.bench.logs');

/** The meters of `metrics-only`, and the duration histogram its middleware records into (drum-otel's buckets). */
async function setUpMetricsOnly(): Promise<Tracing> {
  const collect = await registerMeters();
  const { DURATION_BUCKETS } = await import('../src/instrument/metrics');
  metricsOnlyDuration = metrics.getMeter('drum-otel.bench.metrics-only').createHistogram('http.server.request.duration', {
    unit: 's',
    valueType: ValueType.DOUBLE,
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  return { flush: collect, exportedSpans: () => null };
}

let metricsOnlyDuration: Histogram | undefined;

/**
 * The `metrics-only` middleware: the request's duration recorded, once the response is complete, with the
 * five attributes drum-otel records it with. No span, no context, no drum-otel code: what recording a
 * request's duration costs without drum-otel, the SDK's `histogram.record` and the response listener any
 * instrumentation needs for it (drum-otel's is the one its span ends on).
 */
export function metricsOnlyMiddleware(incoming: unknown, outgoing: unknown, next: () => void): void {
  const request = incoming as IncomingMessage;
  const response = outgoing as ServerResponse;
  const histogram = metricsOnlyDuration!;
  const start = performance.now();
  response.once('close', () => {
    histogram.record((performance.now() - start) / 1000, {
      'http.request.method': request.method ?? 'GET',
      'url.scheme': 'http',
      'http.route': request.url ?? '',
      'network.protocol.version': request.httpVersion,
      'http.response.status_code': response.statusCode,
    });
  });
  next();
}

/** Enables the context manager without any SDK: what async context tracking costs by itself. */
function enableContextManagerOnly(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

const FLOOR_KEY = createContextKey('drum-otel.bench.floor');
const FLOOR_CONTEXT: Context = ROOT_CONTEXT.setValue(FLOOR_KEY, true);

/** The `floor` middleware: enters a context for the rest of the request and does nothing else. */
export function floorMiddleware(_request: unknown, _response: unknown, next: () => void): void {
  context.with(FLOOR_CONTEXT, next);
}

/** The global provider's tracer, looked up when a span starts (the proxy resolves the provider setupOtel registers). */
const SPAN_ONLY_TRACER = trace.getTracer('drum-otel.bench.span-only');

/**
 * The `span-only` middleware: the propagated parent extracted, a SERVER span with the HTTP attributes
 * started, its context entered for the rest of the request, the status set and the span ended once the
 * response is complete. No drum-otel code: what any tracing of the request costs in the SDK and Node.
 */
export function spanOnlyMiddleware(incoming: unknown, outgoing: unknown, next: () => void): void {
  const request = incoming as IncomingMessage;
  const path = request.url ?? '';
  const attributes = {
    'http.request.method': request.method ?? 'GET',
    'http.route': path,
    'url.path': path,
    'url.scheme': 'http',
    'network.protocol.version': request.httpVersion,
  };
  runInSpan(request, outgoing as ServerResponse, next, attributes, undefined, STATUS);
}

/**
 * The `span-only-full` middleware: `span-only` with the attributes of drum-otel's span on the bench's requests
 * (no user agent, no identity headers), each set where drum-otel sets it. Still no drum-otel code.
 */
export function spanOnlyFullMiddleware(incoming: unknown, outgoing: unknown, next: () => void): void {
  const request = incoming as IncomingMessage;
  const path = request.url ?? '';
  const [address, port] = (request.headers.host ?? '').split(':');
  const attributes = {
    'http.request.method': request.method ?? 'GET',
    'http.route': path,
    'url.path': path,
    'url.scheme': 'http',
    'server.address': address,
    'server.port': Number(port),
    'client.address': request.socket.remoteAddress ?? '',
  };
  const recorded = { 'network.protocol.version': request.httpVersion };
  runInSpan(request, outgoing as ServerResponse, next, attributes, recorded, STATUS_AND_LEGACY);
}

const STATUS = ['http.response.status_code'] as const;
const STATUS_AND_LEGACY = ['http.response.status_code', 'http.status_code'] as const;

/**
 * The span of both `span-only` middlewares: started with `attributes` under the propagated parent, `recorded`
 * added when it records, each of `statusNames` set to the status code and the span ended when the response
 * closes, its context entered for the rest of the request.
 */
function runInSpan(
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
  attributes: Attributes,
  recorded: Attributes | undefined,
  statusNames: readonly string[],
): void {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = SPAN_ONLY_TRACER.startSpan(`${request.method} ${request.url ?? ''}`, { kind: SpanKind.SERVER, attributes }, parent);
  if (recorded !== undefined && span.isRecording()) span.setAttributes(recorded);
  response.once('close', () => {
    for (const name of statusNames) span.setAttribute(name, response.statusCode);
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}

/** Sets up OpenTelemetry as `sdk` describes it; `undefined` for configurations without an SDK. */
export async function setUpTracing(sdk: Exclude<Sdk, { kind: 'none' }>): Promise<Tracing | undefined> {
  switch (sdk.kind) {
    case 'setupOtel':
      return setUpShipped(sdk);
    case 'provider':
    case 'span-only-bare':
      return registerProvider(undefined);
    case 'provider+metrics':
      return registerProviderAndMeters();
    case 'provider+logs':
      return registerProviderAndLogs();
    case 'auto':
    case 'auto-koa': {
      const tracing = registerProvider(undefined);
      await registerAutoInstrumentation(sdk.kind === 'auto-koa' ? 'koa' : 'express');
      return tracing;
    }
    case 'metrics-only':
      return setUpMetricsOnly();
    case 'floor':
      enableContextManagerOnly();
      return undefined;
    case 'span-only':
    case 'span-only-full':
      return setUpShipped({ kind: 'setupOtel', exporter: 'none', ratio: sdk.ratio });
  }
}
