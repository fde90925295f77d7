import { diag } from '@opentelemetry/api';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { errorText } from './diag';
import type { OtelDisabledBy, OtelHandle } from './types';

/** The handle of a disabled setup: nothing to flush; `shutdown()` calls `release`. */
export function disabledHandle(disabledBy: OtelDisabledBy, release: (handle: OtelHandle) => void): OtelHandle {
  const handle: OtelHandle = {
    enabled: false,
    disabledBy,
    tracerProvider: undefined,
    forceFlush: async () => {},
    shutdown: async () => {
      release(handle);
    },
  };
  return handle;
}

/**
 * The handle of a registered provider: flushes it, and shuts it down at most once, then calls `release` (which
 * unregisters what setupOtel registered).
 */
export function enabledHandle(
  provider: NodeTracerProvider,
  shutdownTimeoutMillis: number,
  release: (handle: OtelHandle) => void,
): OtelHandle {
  let stopping: Promise<void> | undefined;
  const handle: OtelHandle = {
    enabled: true,
    disabledBy: undefined,
    tracerProvider: provider,
    forceFlush: () =>
      provider.forceFlush().catch((error: unknown) => diag.error(`drum-otel: forceFlush failed: ${errorText(error)}`)),
    shutdown: () => (stopping ??= stop(provider, shutdownTimeoutMillis).finally(() => release(handle))),
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
