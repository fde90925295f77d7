/**
 * The OpenTelemetry set-up of each configuration, done in the server process before Express is loaded
 * (instrumentation-http and instrumentation-express patch modules as they are required). Only server.ts
 * loads this file, and only for configurations that use OpenTelemetry: `baseline` loads none of it.
 */
import { context, createContextKey, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, NodeTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { ConfigName } from './configs';
import { OTLP_URL_ENV } from './configs';

/** What the server needs from the tracing set-up of its configuration. */
export interface Tracing {
  /** Exports every finished span, so a window accounts for the export work of its own requests. */
  flush(): Promise<void>;
  /** Spans handed to the exporter so far. */
  exportedSpans(): number;
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
 * The SDK every traced configuration shares: NodeTracerProvider (AsyncLocalStorage context manager, W3C
 * propagator) with the default BatchSpanProcessor, as an application would register it.
 */
function registerProvider(exporter: SpanExporter | undefined): Tracing {
  const counter = new CountingExporter(exporter);
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(counter)] });
  provider.register();
  return { flush: () => provider.forceFlush(), exportedSpans: () => counter.count };
}

async function otlpExporter(): Promise<SpanExporter> {
  const url = process.env[OTLP_URL_ENV];
  if (url === undefined) throw new Error(`${OTLP_URL_ENV} is not set: the parent starts the OTLP receiver`);
  // Loaded here only: it requires `http`, which the `auto` configuration must let instrumentation-http patch first.
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ url });
}

async function registerAutoInstrumentation(): Promise<void> {
  const [{ registerInstrumentations }, { HttpInstrumentation }, { ExpressInstrumentation }] = await Promise.all([
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
  ]);
  registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()] });
}

/**
 * `drum-otel` plus an SDK MeterProvider registered globally, so drum-otel's HTTP server metrics are recorded;
 * a flush also collects them, so each window pays for its own aggregation and collection.
 */
async function registerProviderAndMeters(): Promise<Tracing> {
  const tracing = registerProvider(undefined);
  const [{ metrics }, { MeterProvider, MetricReader }] = await Promise.all([import('@opentelemetry/api'), import('@opentelemetry/sdk-metrics')]);
  class CollectingReader extends MetricReader {
    protected onForceFlush(): Promise<void> {
      return Promise.resolve();
    }
    protected onShutdown(): Promise<void> {
      return Promise.resolve();
    }
  }
  const reader = new CollectingReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    flush: async () => {
      await tracing.flush();
      await reader.collect();
    },
    exportedSpans: tracing.exportedSpans,
  };
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

/** Sets up OpenTelemetry as `config` requires; `undefined` for configurations without an SDK. */
export async function setUpTracing(config: Exclude<ConfigName, 'baseline'>): Promise<Tracing | undefined> {
  switch (config) {
    case 'drum-otel':
    case 'notrace':
      return registerProvider(undefined);
    case 'drum-otel+otlp':
      return registerProvider(await otlpExporter());
    case 'drum-otel+metrics':
      return registerProviderAndMeters();
    case 'auto': {
      const tracing = registerProvider(undefined);
      await registerAutoInstrumentation();
      return tracing;
    }
    case 'floor':
      enableContextManagerOnly();
      return undefined;
  }
}
