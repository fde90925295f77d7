import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setupOtel, type OtelHandle, type SetupOtelOptions } from 'drum-otel/setup';
import { bridgeLogsToOpenTelemetry, log } from './log';
import { SpanLineExporter } from './span-line-exporter';

/** Variables that say where spans go; without any of them the examples print one line per span instead. */
const EXPORT_VARIABLES = ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];

/** How long in-flight requests may take to finish after a stop signal before their connections are cut. */
const DRAIN_MILLIS = 10_000;

/**
 * setupOtel options for an example process: the environment decides when it names an exporter; otherwise
 * each span is printed as one line as soon as it ends (a newcomer's `curl` shows its span at once).
 */
export function exampleOtelOptions(env: NodeJS.ProcessEnv, defaults: SetupOtelOptions = {}): SetupOtelOptions {
  const configured = EXPORT_VARIABLES.some((variable) => (env[variable] ?? '').trim() !== '');
  return configured ? defaults : { ...defaults, exporter: new SpanLineExporter(), processor: 'simple' };
}

/** Sets up OpenTelemetry for an example process, or returns `undefined` when ENABLE_OTEL turned tracing off. */
export function startOtel(tracing: boolean, defaults?: SetupOtelOptions): OtelHandle | undefined {
  if (!tracing) return undefined;
  const otel = setupOtel(exampleOtelOptions(process.env, defaults));
  if (otel.enabled) bridgeLogsToOpenTelemetry();
  return otel;
}

/** What the banner says of tracing: `on`, or `off (<what turned it off>)`. */
export function tracingState(otel: OtelHandle | undefined): string {
  if (otel === undefined) return 'off (ENABLE_OTEL)';
  return otel.enabled ? 'on' : `off (${otel.disabledBy})`;
}

/** Resolves once the server has stopped accepting and its open requests are answered (or cut after a while). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MILLIS);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    // Keep-alive connections without a request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

/**
 * On SIGTERM or SIGINT (or, in a cluster worker, when the primary goes away): stop listening, let in-flight
 * requests finish, flush the spans, exit 0. Repeated signals do not start a second stop.
 */
export function stopOnSignals(name: string, server: Server, otel: OtelHandle | undefined): void {
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log().info(`${name}: stopping (${why}): finishing the requests in flight`);
    await closeServer(server);
    // Before the shutdown, which exports the last records with the last spans.
    log().info(`${name}: stopped`);
    await otel?.shutdown();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(signal));
  if (process.send !== undefined) process.on('disconnect', () => void stop('the primary went away'));
}

/** The port a listening server is bound to. */
export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Prints the error of a failed start and exits 1. */
export function failStart(name: string, error: unknown): never {
  log().error(`${name}: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
