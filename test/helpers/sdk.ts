import { context, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type {
  BatchSpanProcessorOptions,
  ReadableSpan,
  Sampler,
  SpanExporter,
  SpanProcessor,
  TracerProvider,
  TracerProviderOptions,
} from '@opentelemetry/sdk-trace';

export type { ReadableSpan, Sampler, SpanExporter, SpanProcessor, TracerProvider };

// The instrumentation's tests run against both OpenTelemetry JS lines: the 3.x SDK (`@opentelemetry/sdk-trace`,
// processors built from an options object) that the repository develops on, and the 2.x SDK
// (`@opentelemetry/sdk-trace-base`, processors built from the exporter) that CI installs beside
// @opentelemetry/api 1.9 on Node 20. Tests build their SDK objects here, so one test file serves both lines.

/** Loads the SDK line that is installed (the other one is not, so neither can be imported statically). */
const load = createRequire(__filename);

const sdk: typeof SdkTrace = loadSdkTrace();

/** The installed SDK line: 3 when `@opentelemetry/sdk-trace` 3.x is there, else 2 (`sdk-trace-base`). */
export const SDK_LINE: 2 | 3 = 'BasicTracerProvider' in sdk ? 2 : 3;

export const { InMemorySpanExporter, AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } = sdk;
/** The in-memory exporter tests read finished spans from. */
export type InMemorySpanExporter = SdkTrace.InMemorySpanExporter;

/** A tracer provider (the 2.x `BasicTracerProvider`, the 3.x `TracerProvider`). */
export function createTracerProvider(options: TracerProviderOptions = {}): TracerProvider {
  const Provider = SDK_LINE === 3 ? sdk.TracerProvider : (sdk as unknown as { BasicTracerProvider: typeof sdk.TracerProvider }).BasicTracerProvider;
  return new Provider(options);
}

/** A processor exporting each span as it ends. */
export function simpleProcessor(exporter: SpanExporter): SpanProcessor {
  return SDK_LINE === 3 ? new sdk.SimpleSpanProcessor({ exporter }) : new (sdk.SimpleSpanProcessor as never as new (e: SpanExporter) => SpanProcessor)(exporter);
}

/** A processor exporting spans in the background, in batches. */
export function batchProcessor(exporter: SpanExporter, options: Omit<BatchSpanProcessorOptions, 'exporter'> = {}): SpanProcessor {
  if (SDK_LINE === 3) return new sdk.BatchSpanProcessor({ exporter, ...options });
  const Batch = sdk.BatchSpanProcessor as never as new (e: SpanExporter, o: object) => SpanProcessor;
  return new Batch(exporter, options);
}

/**
 * Registers `provider` globally with an AsyncLocalStorage context manager and `propagator` (by default W3C
 * trace context and baggage), as the 2.x `NodeTracerProvider.register()` did and a 3.x application does by hand.
 */
export function registerGlobally(provider: TracerProvider, propagator?: TextMapPropagator): void {
  const { AsyncLocalStorageContextManager } = load('@opentelemetry/context-async-hooks');
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = load('@opentelemetry/core');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    propagator ?? new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
}

function loadSdkTrace(): typeof SdkTrace {
  try {
    const line3: typeof SdkTrace = load('@opentelemetry/sdk-trace');
    // The 2.x line has a package of that name too, with the 2.x constructors.
    if (!('BasicTracerProvider' in line3)) return line3;
  } catch {
    // Not installed: the 2.x line.
  }
  return load('@opentelemetry/sdk-trace-base');
}
