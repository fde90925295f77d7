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

// The instrumentation's tests run against both OpenTelemetry JS lines: the 3.x SDK that the repository develops
// on and the 2.x SDK that CI installs beside @opentelemetry/api 1.9 on Node 20. `@opentelemetry/sdk-trace`
// (3.x, and 2.11 and later, under sdk-trace-base) builds processors from an options object and names its
// provider TracerProvider; an older 2.x has only `@opentelemetry/sdk-trace-base`, whose BasicTracerProvider and
// processors take the exporter itself. Tests build their SDK objects here, so one test file serves every line.

/** Loads the SDK line that is installed (the other one is not, so neither can be imported statically). */
const load = createRequire(__filename);

const sdk: typeof SdkTrace = loadSdkTrace();

/** Whether the loaded SDK builds processors from an options object (`@opentelemetry/sdk-trace`). */
const OPTIONS_OBJECTS = !('BasicTracerProvider' in sdk);

export const { InMemorySpanExporter, AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } = sdk;
/** The in-memory exporter tests read finished spans from. */
export type InMemorySpanExporter = SdkTrace.InMemorySpanExporter;

/** A tracer provider (`TracerProvider`, or an older 2.x `BasicTracerProvider`). */
export function createTracerProvider(options: TracerProviderOptions = {}): TracerProvider {
  const Provider = OPTIONS_OBJECTS ? sdk.TracerProvider : (sdk as unknown as { BasicTracerProvider: typeof sdk.TracerProvider }).BasicTracerProvider;
  return new Provider(options);
}

/** A processor exporting each span as it ends. */
export function simpleProcessor(exporter: SpanExporter): SpanProcessor {
  return OPTIONS_OBJECTS ? new sdk.SimpleSpanProcessor({ exporter }) : new (sdk.SimpleSpanProcessor as never as new (e: SpanExporter) => SpanProcessor)(exporter);
}

/** A processor exporting spans in the background, in batches. */
export function batchProcessor(exporter: SpanExporter, options: Omit<BatchSpanProcessorOptions, 'exporter'> = {}): SpanProcessor {
  if (OPTIONS_OBJECTS) return new sdk.BatchSpanProcessor({ exporter, ...options });
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
    return load('@opentelemetry/sdk-trace');
  } catch {
    // Not installed: a 2.x line older than 2.11.
  }
  return load('@opentelemetry/sdk-trace-base');
}
