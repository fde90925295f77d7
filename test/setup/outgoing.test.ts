import 'reflect-metadata';
import test from 'ava';
import { get, type IncomingHttpHeaders } from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Controller, Get } from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from '../../src';
import { redactUrl } from '../../src/setup/outgoing';
import { setupOtel } from '../../src/setup/setup-otel';
import type { SetupOtelOptions } from '../../src/setup/types';
import { listen, startServer, type RunningServer } from '../helpers/server';

// setupOtel registers instrumentation-undici (fetch) and instrumentation-http (node:http, client side only):
// requests made inside a span get a CLIENT span and carry traceparent; @NoTrace() actions make none. Each test
// sets up and shuts down, so every one after the first also checks that a later setupOtel registers anew.

/** The backend: answers every request with the headers it received. */
let backend: RunningServer;
/** What the backend received, in order. */
const received: IncomingHttpHeaders[] = [];

test.before(async () => {
  backend = await listen((request, response) => {
    received.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ ok: true }));
  });
});

test.after.always(() => backend.close());

test.beforeEach(() => {
  received.length = 0;
});

async function withSetup(run: (exporter: InMemorySpanExporter) => Promise<void>, options: SetupOtelOptions = {}): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const otel = setupOtel({ exporter, processor: 'simple', logLevel: 'none', propagators: ['tracecontext'], ...options });
  try {
    await run(exporter);
    return exporter.getFinishedSpans();
  } finally {
    await otel.shutdown();
  }
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

function inSpan<T>(run: () => Promise<T>): Promise<{ result: T; traceId: string; spanId: string }> {
  return trace.getTracer('test').startActiveSpan('parent', async (span) => {
    try {
      return { result: await run(), ...span.spanContext() };
    } finally {
      span.end();
    }
  });
}

const clientSpans = (spans: readonly ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.CLIENT);
const port = () => Number(new URL(backend.url).port);

test.serial('fetch inside a span: a CLIENT span, child of it, with the stable attributes, and traceparent sent', async (t) => {
  let parent = { traceId: '', spanId: '' };
  const spans = await withSetup(async () => {
    parent = await inSpan(async () => (await fetch(`${backend.url}/v1/models?api_key=s3cret&sig=abc&limit=2`)).text());
  });
  const [client] = clientSpans(spans);
  t.is(clientSpans(spans).length, 1);
  t.is(client.name, 'GET');
  t.is(client.spanContext().traceId, parent.traceId);
  t.is(client.parentSpanContext?.spanId, parent.spanId);
  t.like(client.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': port(),
    'url.full': `${backend.url}/v1/models?api_key=REDACTED&sig=REDACTED&limit=2`,
    'url.query': 'api_key=REDACTED&sig=REDACTED&limit=2',
    'http.response.status_code': 200,
  });
  t.false(JSON.stringify(client.attributes).includes('s3cret'));
  t.is(received[0].traceparent, `00-${parent.traceId}-${client.spanContext().spanId}-01`);
});

test.serial('node:http inside a span: a CLIENT span with credentials and sensitive values redacted, traceparent sent', async (t) => {
  let parent = { traceId: '', spanId: '' };
  const spans = await withSetup(async () => {
    const url = backend.url.replace('http://', 'http://user:pa55word@');
    parent = await inSpan(() => httpGet(`${url}/v1/chat?token=t0ken&X-Goog-Signature=g&n=1`));
  });
  t.is(clientSpans(spans).length, 1);
  const [client] = clientSpans(spans);
  t.is(client.parentSpanContext?.spanId, parent.spanId);
  t.like(client.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': port(),
    'url.full': `http://REDACTED:REDACTED@127.0.0.1:${port()}/v1/chat?token=REDACTED&X-Goog-Signature=REDACTED&n=1`,
    'http.response.status_code': 200,
  });
  const text = JSON.stringify(client.attributes);
  t.false(text.includes('pa55word') || text.includes('t0ken'));
  t.is(received[0].traceparent, `00-${parent.traceId}-${client.spanContext().spanId}-01`);
  // The backend's incoming request: instrumentation-http's server side stays off.
  t.is(spans.filter((span) => span.kind === SpanKind.SERVER).length, 0);
});

test.serial('a failed request: the CLIENT span has error.type and status ERROR', async (t) => {
  const dead = await listen(() => {});
  const deadUrl = dead.url;
  await dead.close();
  const spans = await withSetup(async () => {
    await inSpan(() => fetch(`${deadUrl}/`).catch(() => undefined));
    await inSpan(() => httpGet(`${deadUrl}/`).catch(() => undefined));
  });
  t.is(clientSpans(spans).length, 2);
  for (const client of clientSpans(spans)) {
    t.is(client.status.code, SpanStatusCode.ERROR);
    t.is(typeof client.attributes['error.type'], 'string');
  }
});

test.serial('a traced action: the CLIENT spans are children of its SERVER span; a @NoTrace() action makes none and sends no traceparent', async (t) => {
  @Controller()
  class CallingController {
    @Get('/traced')
    @Traced('drum.calls')
    async traced() {
      await (await fetch(`${backend.url}/a`)).text();
      await httpGet(`${backend.url}/b`);
      return 'done';
    }

    @Get('/quiet')
    @NoTrace()
    async quiet() {
      await (await fetch(`${backend.url}/c`)).text();
      await httpGet(`${backend.url}/d`);
      return 'done';
    }
  }
  const spans = await withSetup(async () => {
    const app = await startServer({ controllers: instrumentControllers([CallingController]) });
    try {
      t.is((await fetch(`${app.url}/traced`)).status, 200);
      t.is((await fetch(`${app.url}/quiet`)).status, 200);
    } finally {
      await app.close();
    }
  });
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  t.deepEqual(
    servers.map((span) => span.name),
    ['drum.calls'],
    'one SERVER span per traced request: none from instrumentation-http, none for @NoTrace()',
  );
  // The test's own two requests to the app are CLIENT spans too, roots of their traces.
  const clients = clientSpans(spans).filter((span) => String(span.attributes['url.full']).startsWith(backend.url));
  t.deepEqual(clients.map((span) => span.attributes['url.full']).sort(), [`${backend.url}/a`, `${backend.url}/b`]);
  for (const client of clients) t.is(client.parentSpanContext?.spanId, servers[0].spanContext().spanId);
  t.deepEqual(
    received.map((headers) => headers.traceparent !== undefined),
    [true, true, false, false],
  );
});

test.serial('outgoing: false registers nothing; after shutdown nothing stays patched', async (t) => {
  const off = await withSetup(
    async () => {
      await inSpan(async () => {
        await (await fetch(`${backend.url}/e`)).text();
        await httpGet(`${backend.url}/f`);
      });
    },
    { outgoing: false },
  );
  t.is(clientSpans(off).length, 0);
  await withSetup(async () => {});
  await inSpan(() => httpGet(`${backend.url}/g`));
  t.deepEqual(
    received.map((headers) => headers.traceparent),
    [undefined, undefined, undefined],
  );
});

test('redactUrl: credentials, sensitive query values and the fragment go; the rest stays as sent', (t) => {
  t.is(redactUrl('https://u:p@h.example:8443/x?a=1&Signature=s&refresh_token=r#frag'), 'https://REDACTED:REDACTED@h.example:8443/x?a=1&Signature=REDACTED&refresh_token=REDACTED');
  t.is(redactUrl('http://h'), 'http://h/');
  t.is(redactUrl('http://h/p?q=%20x'), 'http://h/p?q=%20x');
  t.is(redactUrl('not a url'), 'not a url');
});
