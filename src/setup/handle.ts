import { diag } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { errorText } from './diag';
import type { OtelDisabledBy, OtelHandle } from './types';

/**
 * The providers setupOtel registered: no meter provider when no metric reader would have been in it, no
 * logger provider when no log record processor would have been, and (from `OTEL_CONFIG_FILE`) none the file
 * leaves out.
 */
export interface Providers {
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly loggerProvider: LoggerProvider | undefined;
}

/** The handle of a disabled setup: nothing to flush; `shutdown()` calls `release`. */
export function disabledHandle(disabledBy: OtelDisabledBy, release: (handle: OtelHandle) => void): OtelHandle {
  const handle: OtelHandle = {
    enabled: false,
    disabledBy,
    tracerProvider: undefined,
    meterProvider: undefined,
    loggerProvider: undefined,
    forceFlush: async () => {},
    shutdown: async () => {
      release(handle);
    },
  };
  return handle;
}

/**
 * The handle of registered providers: flushes them, and shuts them down at most once, then calls `release`
 * (which unregisters what setupOtel registered).
 */
export function enabledHandle(
  providers: Providers,
  shutdownTimeoutMillis: number,
  release: (handle: OtelHandle) => void,
): OtelHandle {
  const { tracerProvider, meterProvider, loggerProvider } = providers;
  let stopping: Promise<void> | undefined;
  const handle: OtelHandle = {
    enabled: true,
    disabledBy: undefined,
    tracerProvider,
    meterProvider,
    loggerProvider,
    forceFlush: async () => {
      await Promise.all([
        tracerProvider?.forceFlush().catch(reportFailure('forceFlush of the spans')),
        meterProvider?.forceFlush().catch(reportFailure('forceFlush of the metrics')),
        loggerProvider?.forceFlush().catch(reportFailure('forceFlush of the log records')),
      ]);
    },
    shutdown: () => (stopping ??= stop(providers, shutdownTimeoutMillis).finally(() => release(handle))),
  };
  return handle;
}

function reportFailure(what: string): (error: unknown) => void {
  return (error) => diag.error(`drum-otel: ${what} failed: ${errorText(error)}`);
}

async function stop({ tracerProvider, meterProvider, loggerProvider }: Providers, timeoutMillis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMillis, 'timeout');
    timer.unref();
  });
  // The meter provider's shutdown exports the last metrics itself.
  const stopped = Promise.all([
    tracerProvider && flushThenShutdown(tracerProvider, 'spans', 'tracer'),
    meterProvider?.shutdown().catch(reportFailure('shutting the meter provider down')),
    loggerProvider && flushThenShutdown(loggerProvider, 'log records', 'logger'),
  ]);
  const outcome = await Promise.race([stopped, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    diag.warn(`drum-otel: spans, metrics and log records not exported within ${timeoutMillis} ms of shutdown are dropped`);
  }
}

async function flushThenShutdown(
  provider: TracerProvider | LoggerProvider,
  what: 'spans' | 'log records',
  kind: 'tracer' | 'logger',
): Promise<void> {
  // The simple processors' shutdown() does not wait for their exports in flight (one waiting for the
  // resource's async attributes, say): a flush first makes every ended span and emitted record leave.
  await provider.forceFlush().catch(reportFailure(`exporting the last ${what} at shutdown`));
  await provider.shutdown().catch(reportFailure(`shutting the ${kind} provider down`));
}
