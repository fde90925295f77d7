/**
 * One bench server: `node build/bench/server.js <configuration>`, forked by the parent. It sets up the
 * configuration's OpenTelemetry before anything loads Express, listens on an ephemeral loopback port, and
 * measures its own CPU time and requests over the windows the parent opens and closes over IPC.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { configSpec, isConfigName, type ConfigSpec, type Sdk } from './configs';
import type { RequestListener } from './example-app';
import type { Command, MemorySample, Reply } from './protocol';
import type { Tracing } from './tracing';

interface Prepared {
  readonly tracing: Tracing | undefined;
  readonly beforeRoutes: ((request: unknown, response: unknown, next: () => void) => void) | undefined;
}

/** OpenTelemetry as the configuration wants it; `baseline` loads no OpenTelemetry module at all. */
async function prepare({ sdk }: ConfigSpec): Promise<Prepared> {
  if (sdk.kind === 'none') return { tracing: undefined, beforeRoutes: undefined };
  const { setUpTracing, floorMiddleware, spanOnlyMiddleware, spanOnlyFullMiddleware, metricsOnlyMiddleware, logRecordMiddleware } =
    await import('./tracing');
  const tracing = await setUpTracing(sdk);
  const middlewares: Partial<Record<Sdk['kind'], Prepared['beforeRoutes']>> = {
    floor: floorMiddleware,
    'span-only': spanOnlyMiddleware,
    'span-only-bare': spanOnlyMiddleware,
    'span-only-full': spanOnlyFullMiddleware,
    'metrics-only': metricsOnlyMiddleware,
    'provider+logs': logRecordMiddleware,
  };
  return { tracing, beforeRoutes: middlewares[sdk.kind] };
}

async function listen(listener: RequestListener): Promise<Server> {
  // Loaded only now: instrumentation-http (in `auto`) must have hooked `http` before anything requires it.
  const { createServer } = await import('node:http');
  return new Promise((resolve, reject) => {
    const server = createServer(listener).listen(0, '127.0.0.1');
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

function send(reply: Reply): void {
  process.send!(reply);
}

/** A full collection first (the server runs with --expose-gc where memory matters), then the numbers. */
function memorySample(requests: number, tracing: Tracing | undefined): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return {
    heapUsed: usage.heapUsed,
    rss: usage.rss,
    external: usage.external,
    activeHandles: process.getActiveResourcesInfo().length,
    requests,
    spans: tracing?.exportedSpans() ?? null,
  };
}

/** CLOCK_MONOTONIC in microseconds, as V8 stamps CPU profile samples. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function main(): Promise<void> {
  const config = process.argv[2];
  if (!isConfigName(config)) throw new Error(`unknown configuration ${JSON.stringify(config)}`);
  if (process.send === undefined) throw new Error('bench/server.js must be forked by bench/run.js (it needs IPC)');
  const spec = configSpec(config);
  const { tracing, beforeRoutes } = await prepare(spec);
  const { buildBenchApp } = await import('./app');
  const bench = await buildBenchApp(spec.instrumentation, beforeRoutes, spec.framework);
  const server = await listen(bench.listener);

  let requests = 0;
  let totalRequests = 0;
  server.on('request', () => {
    requests++;
    totalRequests++;
  });

  let cpuAtStart = process.cpuUsage();
  let allocatedAtStart = 0;
  let spansAtStart = 0;
  let startedAtUs = 0;
  const handle = async (command: Command): Promise<void> => {
    switch (command.type) {
      case 'start':
        // Spans of the warm-up are exported before the window, and the window's own before it closes: each
        // window pays for the export of exactly its own spans.
        await tracing?.flush();
        // With --expose-gc (instruction counts), every window starts from a collected heap: a major collection
        // would otherwise land in some windows and not in others.
        (globalThis as { gc?: () => void }).gc?.();
        requests = 0;
        spansAtStart = tracing?.exportedSpans() ?? 0;
        startedAtUs = monotonicMicros();
        allocatedAtStart = getHeapStatistics().total_allocated_bytes;
        cpuAtStart = process.cpuUsage();
        return send({ type: 'started' });
      case 'stop': {
        const served = requests;
        await tracing?.flush();
        const cpu = process.cpuUsage(cpuAtStart);
        const allocatedBytes = getHeapStatistics().total_allocated_bytes - allocatedAtStart;
        const stoppedAtUs = monotonicMicros();
        const exported = tracing?.exportedSpans() ?? null;
        const spans = exported === null ? null : exported - spansAtStart;
        return send({ type: 'stopped', cpuMicros: cpu.user + cpu.system, requests: served, spans, allocatedBytes, startedAtUs, stoppedAtUs });
      }
      case 'memory':
        // Spans waiting in the batch processor's queue are not leaked state: export them before measuring.
        await tracing?.flush();
        return send({ type: 'memory', ...memorySample(totalRequests, tracing) });
      case 'exit':
        server.closeAllConnections();
        server.close();
        await tracing?.flush();
        // process.exit() still writes the --cpu-prof profile.
        process.exit(0);
    }
  };
  process.on('message', (command: Command) => {
    handle(command).catch((error: unknown) => send({ type: 'failed', message: String(error) }));
  });
  // The parent is gone (killed, crashed): nothing will ever ask this server for anything again.
  process.on('disconnect', () => process.exit(0));
  const { port } = server.address() as AddressInfo;
  send({ type: 'ready', port, routes: bench.routes, notes: bench.notes });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  console.error(error);
  process.exit(1);
});
