/**
 * The DRUM-compatible prediction server's process, on either driver: `npm start` (Express, main.ts) and
 * `npm run start:koa` (Koa, main-koa.ts). Settings come from DRUM's environment variables (see config.ts) and
 * OpenTelemetry's standard ones (see setupOtel). Prints
 * `prediction server listening on http://localhost:<port> ...` once every process is ready.
 */
import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { PredictionAppOptions } from './app-routing';
import { readServerConfig, type ServerConfig } from './config';
import { boundPort, failStart, startOtel, stopOnSignals, tracingState } from './lifecycle';
import { log } from './log';

/** How a server entry builds its app: the options from the environment, the listener Node serves. */
export interface PredictionServerEntry {
  /** Said in the banner (`server: koa`); none for the Express server, whose banner predates the Koa one. */
  readonly label?: string;
  createListener(options: PredictionAppOptions): RequestListener;
}

const NAME = 'prediction server';
/** How long the primary waits for its workers to flush and exit after a stop signal. */
const WORKER_STOP_MILLIS = 20_000;

/** What a worker tells the primary before it listens, for the banner. */
interface WorkerReport {
  readonly tracing: string;
}

function announce(entry: PredictionServerEntry, config: ServerConfig, port: number, tracing: string): void {
  const details = [
    ...(entry.label ? [`server: ${entry.label}`] : []),
    `workers: ${config.workers}`,
    `tracing: ${tracing}`,
    ...(config.urlPrefix ? [`prefix: ${config.urlPrefix}`] : []),
  ];
  log().info(`${NAME} listening on http://localhost:${port}${config.urlPrefix}/ (${details.join(', ')})`);
}

/** One serving process: the only one, or a cluster worker (which sets up OpenTelemetry after the fork). */
async function serve(entry: PredictionServerEntry, config: ServerConfig): Promise<void> {
  const otel = startOtel(config.tracing);
  const tracing = tracingState(otel);
  // Sent before listening: the primary gets it before the worker's 'listening' event.
  if (cluster.isWorker) process.send!({ tracing } satisfies WorkerReport);
  const listener = entry.createListener({
    tracing: otel?.enabled === true,
    urlPrefix: config.urlPrefix,
    chat: { tokenDelayMs: config.chatTokenDelayMs },
    directAccess: config.directAccess,
  });
  const server = createServer(listener).listen({ port: config.port, host: config.host });
  await once(server, 'listening');
  stopOnSignals(NAME, server, otel);
  if (cluster.isPrimary) announce(entry, config, boundPort(server), tracing);
}

/** The cluster primary: forks the workers, announces once all listen, and stops them on a signal. */
function supervise(entry: PredictionServerEntry, config: ServerConfig): void {
  const listening = new Set<Worker>();
  let tracing = 'unknown';
  let stopping = false;
  const stopAll = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, WORKER_STOP_MILLIS);
    deadline.unref();
    const remaining = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    if (remaining.length === 0) process.exit(exitCode);
    // Each worker closes its listener and flushes its own spans before it exits.
    for (const worker of remaining) worker!.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
    });
  };
  cluster.on('message', (_worker, report: WorkerReport) => {
    tracing = report.tracing;
  });
  cluster.on('listening', (worker, address) => {
    listening.add(worker);
    if (listening.size === config.workers) announce(entry, config, address.port, tracing);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!listening.has(worker)) {
      log().error(`${NAME}: worker ${worker.process.pid} failed to start (exit ${signal ?? code}); stopping`);
      stopAll(1);
      return;
    }
    listening.delete(worker);
    log().error(`${NAME}: worker ${worker.process.pid} died (exit ${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stopAll(0));
  for (let i = 0; i < config.workers; i++) cluster.fork();
}

/** Reads the environment and serves, in one process or as the primary of `WORKERS` (each runs this too). */
export function runPredictionServer(entry: PredictionServerEntry): void {
  let config: ServerConfig;
  try {
    config = readServerConfig(process.env);
  } catch (error) {
    failStart(NAME, error);
  }
  if (cluster.isPrimary && config.workers > 1) supervise(entry, config);
  else serve(entry, config).catch((error: unknown) => failStart(NAME, error));
}
