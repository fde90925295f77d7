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

/** The callbacks waiting on each exporter's next export, installed by `exportListeners`. */
const listenersOf = new WeakMap<InMemorySpanExporter, Set<() => void>>();

/**
 * The callbacks run after each `export` call of `exporter` (the processor hands it every span that ends): the
 * first call wraps the exporter's `export` once, so a waiter hears of each span as it arrives instead of polling.
 */
function exportListeners(exporter: InMemorySpanExporter): Set<() => void> {
  let listeners = listenersOf.get(exporter);
  if (listeners === undefined) {
    const installed = new Set<() => void>();
    const exportSpans = exporter.export.bind(exporter);
    exporter.export = (spans, resultCallback) => {
      exportSpans(spans, resultCallback);
      for (const listener of [...installed]) listener();
    };
    listenersOf.set(exporter, installed);
    listeners = installed;
  }
  return listeners;
}

/**
 * Waits until `count` spans have ended, then one more turn of the event loop, and returns them all:
 * the caller asserts the exact number, so a span too many is seen too.
 *
 * Without `timeoutMs` it waits for the `count`-th span itself, however long a busy machine takes to end it
 * (ava's own timeout ends a test whose span never comes). `timeoutMs` is for the callers that expect fewer
 * spans than `count` (usually none): it returns what has ended by then.
 */
export async function finishedSpans(exporter: InMemorySpanExporter, count: number, timeoutMs?: number): Promise<ReadableSpan[]> {
  await new Promise<void>((resolve) => {
    const listeners = exportListeners(exporter);
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      listeners.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const check = (): void => {
      if (exporter.getFinishedSpans().length >= count) done();
    };
    listeners.add(check);
    if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    check();
  });
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
