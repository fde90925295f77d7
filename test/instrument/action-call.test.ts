import 'reflect-metadata';
import test from 'ava';
import { SpanStatusCode } from '@opentelemetry/api';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createExpressServer, Get, JsonController, Param } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { serve, type RunningServer } from '../helpers/server';
import { finishedSpans, registerTracing } from '../helpers/tracing';

const run = promisify(execFile);
const { exporter } = registerTracing();
const markers = mkdtempSync(join(tmpdir(), 'drum-otel-cpu-'));

/**
 * Holds the event loop, as a CPU-bound model does, until the client process says it has gone, and for at
 * least 50 ms: drum-otel looks for such clients after calls that held the loop 10 ms or more.
 */
function holdLoopUntilAbandoned(name: string): void {
  const started = performance.now();
  writeFileSync(join(markers, `${name}.started`), '');
  const abandoned = join(markers, `${name}.abandoned`);
  while (performance.now() - started < 50 || !existsSync(abandoned)) {
    // CPU-bound work; the test's client writes the marker once it has closed the connection.
  }
}

@JsonController()
class CpuController {
  @Get('/cpu/:name')
  score(@Param('name') name: string) {
    holdLoopUntilAbandoned(name);
    return { scored: true };
  }

  @Get('/busy/')
  busy() {
    const until = performance.now() + 30;
    while (performance.now() < until) {
      // Long enough for drum-otel to wait for one more poll before the response is written.
    }
    return { busy: true };
  }

  @Get('/busy-async/')
  async busyAsync() {
    const until = performance.now() + 30;
    while (performance.now() < until) {
      // The synchronous start of an async action holds the loop just the same.
    }
    await new Promise((resolve) => setImmediate(resolve));
    throw new RangeError('model exploded');
  }
}

let server: RunningServer;

test.before(async () => {
  // A keep-alive server: the client, not the server, decides when the connection closes.
  server = await serve(createServer(createExpressServer({ controllers: instrumentControllers([CpuController]) })));
});

test.after.always(async () => {
  await server?.close();
  rmSync(markers, { recursive: true, force: true });
});

test.beforeEach(() => exporter.reset());

async function abandon(path: string, name: string, how: 'close' | 'reset'): Promise<void> {
  const client = join(__dirname, '..', 'fixtures', 'abandoning-client.js');
  const port = new URL(server.url).port;
  await run(process.execPath, [client, port, path, join(markers, `${name}.started`), join(markers, `${name}.abandoned`), how]);
}

for (const how of ['close', 'reset'] as const) {
  test.serial(`a synchronous action whose client ${how === 'close' ? 'closes the connection' : 'resets the connection'} while it runs is marked aborted, with the status it wrote`, async (t) => {
    await abandon(`/cpu/${how}`, how, how);
    const [span, ...others] = await finishedSpans(exporter, 1);
    t.deepEqual(others, []);
    t.is(span.name, 'drum.GET /cpu/:name');
    t.is(span.attributes['drum.request.aborted'], true);
    t.is(span.attributes['http.response.status_code'], 200);
    t.is(span.status.code, SpanStatusCode.UNSET);
  });
}

test.serial('a long synchronous action whose client waits gets its answer and is not marked aborted', async (t) => {
  const response = await fetch(`${server.url}/busy/`);
  t.deepEqual(await response.json(), { busy: true });
  const [span] = await finishedSpans(exporter, 1);
  t.is(span.attributes['drum.request.aborted'], undefined);
  t.is(span.attributes['http.response.status_code'], 200);
});

test.serial('an async action that held the loop and then rejects: its error response and exception, no unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const response = await fetch(`${server.url}/busy-async/`);
    t.is(response.status, 500);
    t.like(await response.json(), { name: 'RangeError', message: 'model exploded' });
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.attributes['drum.request.aborted'], undefined);
    t.is(span.attributes['error.type'], 'RangeError');
    t.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'model exploded' });
    t.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
