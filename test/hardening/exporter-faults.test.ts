import 'reflect-metadata';
import test from 'ava';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Get, JsonController, Param } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { batchProcessor, createTracerProvider } from '../helpers/sdk';
import { captureDiag } from '../helpers/tracing';
import { delay, startServerWith, until } from './support';

const diagRecords = captureDiag();

const MAX_QUEUE = 64;

type Mode = 'refuse' | 'hang' | '500' | '429' | 'garbage-json' | 'garbage-bytes';

/** A loopback OTLP endpoint misbehaving as `mode` says; counts the export attempts it saw. */
async function faultyReceiver(mode: Mode): Promise<{ url: string; attempts: () => number; close(): Promise<void> }> {
  let attempts = 0;
  const sockets = new Set<Socket>();
  let server: HttpServer | NetServer;
  if (mode === 'garbage-bytes') {
    server = createNetServer((socket) => {
      attempts++;
      socket.on('error', () => {});
      socket.end('this is not HTTP\r\n\r\n\0\0\0');
    });
  } else {
    server = createHttpServer((request, response) => {
      attempts++;
      request.resume();
      if (mode === 'hang') return;
      if (mode === '500') response.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      else if (mode === '429') response.writeHead(429, { 'retry-after': '0' }).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"partialSuccess": {{{ not json');
    });
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  if (mode === 'refuse') await close();
  return { url: `http://127.0.0.1:${port}/v1/traces`, attempts: () => attempts, close };
}

function faultController(mode: string): Function {
  @JsonController(`/${mode}`)
  class FaultController {
    @Get('/work/:n')
    async work(@Param('n') n: number) {
      await delay(n % 3);
      return { n };
    }
  }
  return FaultController;
}

const EXPECTED_DIAG: Record<Mode, RegExp> = {
  refuse: /ECONNREFUSED/,
  hang: /timeout|timed out|abort/i,
  '500': /500/,
  '429': /429|retr/i,
  'garbage-json': /JSON|Unexpected|parse/i,
  'garbage-bytes': /Parse Error|HPE_|socket hang up|ECONNRESET|Expected HTTP/i,
};

const EXPECTED_SHUTDOWN_ERROR: Record<Mode, RegExp> = {
  refuse: /ECONNREFUSED/,
  hang: /timed out|timeout/i,
  '500': /Internal Server Error/,
  '429': /retryable/,
  'garbage-json': /^$/,
  'garbage-bytes': /Parse Error|HPE_|socket hang up|ECONNRESET|Expected HTTP/i,
};

for (const mode of Object.keys(EXPECTED_DIAG) as Mode[]) {
  test.serial(`OTLP endpoint ${mode}: every response succeeds, the queue stays bounded, diag reports, shutdown resolves`, async (t) => {
    diagRecords.length = 0;
    const receiver = await faultyReceiver(mode);
    const processor = batchProcessor(new OTLPTraceExporter({ url: receiver.url, timeoutMillis: 400 }), {
      maxQueueSize: MAX_QUEUE,
      maxExportBatchSize: 16,
      scheduledDelayMillis: 20,
      exportTimeoutMillis: 800,
    });
    const provider = createTracerProvider({ spanProcessors: [processor] });
    const Controller = faultController(mode);
    instrumentControllers([Controller], { tracerProvider: provider });
    const server = await startServerWith({ controllers: [Controller] });
    let maxQueued = 0;
    // The processor's queue is private; fail loudly (rather than pass vacuously) if the SDK renames it.
    const internals = processor as unknown as { _finishedSpans?: unknown[] };
    t.true(Array.isArray(internals._finishedSpans), 'BatchSpanProcessor._finishedSpans is no longer there');
    const queue = () => internals._finishedSpans?.length ?? Number.POSITIVE_INFINITY;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, queue())), 1);
    try {
      const count = 150;
      const bodies: unknown[] = [];
      for (let batch = 0; batch < count; batch += 50) {
        bodies.push(
          ...(await Promise.all(
            Array.from({ length: 50 }, async (_, index) => {
              const response = await fetch(`${server.url}/${mode}/work/${batch + index}`);
              return [response.status, await response.json()];
            }),
          )),
        );
      }
      t.deepEqual(bodies, Array.from({ length: count }, (_, index) => [200, { n: index }]));
      maxQueued = Math.max(maxQueued, queue());
      t.true(maxQueued <= MAX_QUEUE, `queue reached ${maxQueued}`);
      const level = mode === 'garbage-json' ? 'warn' : 'error';
      t.true(await until(() => diagRecords.some((record) => record.level === level && EXPECTED_DIAG[mode].test(record.message)), 8000),
        JSON.stringify(diagRecords.map((record) => record.message).slice(0, 5)));
      if (mode !== 'refuse') t.true(receiver.attempts() > 0);
    } finally {
      clearInterval(sampler);
      await server.close();
    }
    // shutdown() flushes what is queued: it settles (rejecting with the export error when that last export
    // fails too, as the SDK's BatchSpanProcessor does) instead of hanging on the broken endpoint.
    const shutdown = provider.shutdown().then(
      () => 'settled' as const,
      (error: unknown) => (EXPECTED_SHUTDOWN_ERROR[mode].test(String((error as Error)?.message ?? error)) ? ('settled' as const) : `rejected: ${String(error)}`),
    );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<string>((resolve) => (timer = setTimeout(resolve, 15_000, 'still pending after 15 s')));
    t.is(await Promise.race([shutdown, bound]), 'settled');
    clearTimeout(timer);
    await receiver.close();
  });
}
