import { diag, DiagLogLevel, type DiagLogger, type TextMapPropagator } from '@opentelemetry/api';
import type { SpanLimits } from '@opentelemetry/sdk-trace';
import { createTracerProvider, InMemorySpanExporter, registerGlobally, simpleProcessor, type ReadableSpan, type TracerProvider } from './sdk';

/**
 * A real SDK provider, registered globally (context manager + the given or W3C propagator), exporting to memory,
 * with the SDK's default span limits unless `spanLimits` are given.
 */
export function registerTracing(propagator?: TextMapPropagator, spanLimits?: SpanLimits): { provider: TracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = createTracerProvider({ spanProcessors: [simpleProcessor(exporter)], spanLimits });
  registerGlobally(provider, propagator);
  return { provider, exporter };
}

/**
 * Waits until `count` spans have ended, then one more turn of the event loop, and returns them all:
 * the caller asserts the exact number, so a span too many is seen too.
 */
export async function finishedSpans(exporter: InMemorySpanExporter, count: number, timeoutMs = 30_000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  while (exporter.getFinishedSpans().length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  return exporter.getFinishedSpans();
}

/** What OpenTelemetry's diag logger said, by level. */
export interface DiagRecord {
  level: 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  message: string;
  args: unknown[];
}

/** Captures diag output (warn and above) for assertions; returns the live list. */
export function captureDiag(): DiagRecord[] {
  const records: DiagRecord[] = [];
  const record = (level: DiagRecord['level']) => (message: string, ...args: unknown[]) => {
    records.push({ level, message, args });
  };
  const logger: DiagLogger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    verbose: record('verbose'),
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return records;
}

/** The one span with this name; fails loudly when there is none or more than one. */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const matching = spans.filter((span) => span.name === name);
  if (matching.length !== 1) {
    throw new Error(`expected one span named ${name}, got ${matching.length} of [${spans.map((s) => s.name).join(', ')}]`);
  }
  return matching[0];
}
