import 'reflect-metadata';
import test from 'ava';
import { request } from 'node:http';
import { createPredictionApp } from '../examples/prediction-server/app';
import type { PredictionAppOptions } from '../examples/prediction-server/app-routing';
import { createKoaPredictionApp } from '../examples/prediction-server/koa-app';
import { IRIS_CSV } from './e2e/server-process';
import { PREDICTION_APP_DRIVERS } from './helpers/prediction-apps';
import { listen, type RunningServer } from './helpers/server';
import { finishedSpans, registerTracing } from './helpers/tracing';

// The example app on Koa beside the same app on Express, both in-process and traced: every request of the
// table goes to both, which must answer alike (status, the headers that matter, body), and each traced route
// leaves the same span on both, its route without the trailing slash on Koa.

const { exporter } = registerTracing();

/** One app on both drivers. */
interface Pair {
  readonly express: RunningServer;
  readonly koa: RunningServer;
}

async function pairOf(options: PredictionAppOptions): Promise<Pair> {
  const [express, koa] = await Promise.all(PREDICTION_APP_DRIVERS.map((driver) => driver.listen(options)));
  return { express, koa };
}

const servers: RunningServer[] = [];
let backend: RunningServer;
/** Forwards direct access to `backend`. */
let plain: Pair;
/** Under URL_PREFIX=/drum, forwarding direct access to a port nobody listens on. */
let prefixed: Pair;
/** Without a direct-access backend. */
let noBackend: Pair;

test.before(async () => {
  backend = await listen(createPredictionApp({ tracing: false, chat: { tokenDelayMs: 0 } }));
  const closed = await listen(createPredictionApp({ tracing: false }));
  const refusing = new URL(closed.url);
  await closed.close();
  const common = { maxBodyBytes: 1024, chat: { tokenDelayMs: 0 } };
  plain = await pairOf({ ...common, directAccess: { backend: new URL(backend.url), timeoutMs: 10_000 } });
  prefixed = await pairOf({ ...common, urlPrefix: '/drum', directAccess: { backend: refusing, timeoutMs: 10_000 } });
  noBackend = await pairOf(common);
  servers.push(backend, ...[plain, prefixed, noBackend].flatMap((pair) => [pair.express, pair.koa]));
});

test.after.always(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A request of the table: its body as bytes (or chunks sent without a length), its headers. */
interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | readonly string[];
}

/** What is compared of an answer. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

const COMPARED_HEADERS = ['content-type', 'content-length', 'allow', 'cache-control', 'transfer-encoding'];

/** One request on a fresh connection (Express cuts a connection after some error answers). */
function send(server: RunningServer, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${server.url}${sent.path}`, { method: sent.method, headers: sent.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers[name] as string | undefined])),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (Array.isArray(sent.body)) {
      for (const chunk of sent.body) outgoing.write(chunk);
      outgoing.end();
    } else outgoing.end(sent.body as string | Buffer | undefined);
  });
}

/**
 * What differs by design or by chance: `/info/`'s `drumServer`, `/stats/`'s measurements, a completion's id and
 * creation time (and with them the length).
 */
function comparable(answer: Answer): Answer {
  const body = answer.body
    .replace(/"drumServer":"(express|koa)"/, '"drumServer":"*"')
    .replace(/"id":"chatcmpl-[0-9a-f]{32}"/g, '"id":"chatcmpl-*"')
    .replace(/"created":\d+/g, '"created":0')
    .replace(/"(mem_info|time_info|drum_info)":(\{[^}]*\}|\[[^\]]*\])/g, '"$1":"*"');
  const length = body === answer.body ? answer.headers['content-length'] : '*';
  return { ...answer, headers: { ...answer.headers, 'content-length': length }, body };
}

/** A multipart/form-data body (one boundary, so both servers get the same bytes) and its Content-Type. */
async function multipart(fields: Record<string, { text: string; type?: string } | string>): Promise<{ body: Buffer; type: string }> {
  const form = new FormData();
  for (const [name, field] of Object.entries(fields)) {
    if (typeof field === 'string') form.append(name, field);
    else form.append(name, new Blob([field.text], field.type === undefined ? {} : { type: field.type }), `${name}.data`);
  }
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), type: encoded.headers.get('content-type')! };
}

const csv = (path: string, body: string | Buffer | readonly string[] = IRIS_CSV, type = 'text/csv'): Sent => ({
  method: 'POST',
  path,
  headers: { 'content-type': type },
  body,
});
const get = (path: string, method = 'GET'): Sent => ({ method, path });
const json = (path: string, body: unknown, method = 'POST'): Sent => ({
  method,
  path,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const IRIS_ROWS = [{ sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 }];
const CHAT = { model: 'iris-assistant', messages: [{ role: 'user', content: 'Which species is 6.3, 3.3, 6.0, 2.5?' }] };
const ROW_ROUTES = ['/predict/', '/predictions/', '/invocations', '/transform/', '/predictUnstructured/', '/predictionsUnstructured/'];

/** label, pair, request, expected status. */
type Case = readonly [label: string, pair: () => Pair, sent: () => Sent | Promise<Sent>, status: number];

const cases: readonly Case[] = [
  ...['/', '/ping/', '/ping', '/health/', '/info/', '/stats/', '/capabilities/', '/models', '/v1/models'].map(
    (path): Case => [`GET ${path}`, () => plain, () => get(path), 200],
  ),
  ['HEAD /ping/', () => plain, () => get('/ping/', 'HEAD'), 200],
  ...ROW_ROUTES.map((path): Case => [`CSV to ${path}`, () => plain, () => csv(path), 200]),
  ['CSV to /predict (no trailing slash)', () => plain, () => csv('/predict'), 200],
  ['CSV to /PREDICT/ (routes match in any case)', () => plain, () => csv('/PREDICT/'), 200],
  ['JSON rows', () => plain, () => json('/predictions/', IRIS_ROWS), 200],
  ['CSV sent as a form (curl --data-binary)', () => plain, () => csv('/predict/', IRIS_CSV, 'application/x-www-form-urlencoded'), 200],
  ['CSV without a length', () => plain, () => csv('/transform/', [IRIS_CSV.slice(0, 30), IRIS_CSV.slice(30)]), 200],
  ['multipart X', () => plain, async () => multipartSent(await multipart({ other: 'ignored', X: { text: IRIS_CSV, type: 'text/csv' } })), 200],
  ['multipart untyped X', () => plain, async () => multipartSent(await multipart({ X: { text: IRIS_CSV } }), '/predictUnstructured/'), 200],
  ['empty body', () => plain, () => csv('/predict/', ''), 400],
  ['not UTF-8', () => plain, () => csv('/predict/', Buffer.from([0x73, 0xff, 0xfe, 0x0a])), 400],
  ['wrong columns', () => plain, () => csv('/invocations', 'a;b\n1;2\n'), 400],
  ['malformed JSON rows', () => plain, () => json('/predict/', '[{'), 400],
  ['JSON that is not rows', () => plain, () => json('/predict/', { a: 1 }), 400],
  ['unsupported type', () => plain, () => csv('/predict/', '<rows/>', 'application/xml'), 415],
  ['over the limit by Content-Length', () => plain, () => csv('/predictions/', 'x'.repeat(2048)), 413],
  ['over the limit without a length', () => plain, () => csv('/predict/', [IRIS_CSV, '5.1,3.5,1.4,0.2\n'.repeat(100)]), 413],
  ['multipart without X', () => plain, async () => multipartSent(await multipart({ x: { text: IRIS_CSV } })), 400],
  ['multipart X of another type', () => plain, async () => multipartSent(await multipart({ X: { text: '%%M', type: 'text/mtx' } })), 415],
  ['multipart cut short', () => plain, () => csv('/predict/', '--b\r\nContent-Disposition: form-data; name="X"; filename="x.csv"\r\n\r\nsepal', 'multipart/form-data; boundary=b'), 400],
  ['unknown route', () => plain, () => csv('/predict/extra'), 404],
  ['unknown GET', () => plain, () => get('/nothing/here?x=1'), 404],
  ['GET /predict/', () => plain, () => get('/predict/'), 405],
  ['GET /invocations', () => plain, () => get('/invocations'), 405],
  ['OPTIONS /predict/', () => plain, () => get('/predict/', 'OPTIONS'), 405],
  ['PUT /ping/', () => plain, () => ({ method: 'PUT', path: '/ping/', body: 'x' }), 405],
  ['DELETE /v1/chat/completions', () => plain, () => get('/v1/chat/completions', 'DELETE'), 405],
  ['PROPFIND /predict/', () => plain, () => get('/predict/', 'PROPFIND'), 405],
  ['chat completion', () => plain, () => json('/v1/chat/completions', CHAT), 200],
  ['chat completion cut by max_tokens', () => plain, () => json('/chat/completions', { ...CHAT, max_tokens: 3 }), 200],
  ['chat stream with usage', () => plain, () => json('/v1/chat/completions', { ...CHAT, stream: true, stream_options: { include_usage: true } }), 200],
  ['chat: unknown model', () => plain, () => json('/v1/chat/completions', { ...CHAT, model: 'gpt-4o' }), 400],
  ['chat: malformed JSON', () => plain, () => json('/v1/chat/completions', '{"model":'), 400],
  ['chat: no body', () => plain, () => json('/chat/completions', ''), 400],
  ['chat: over the limit', () => plain, () => json('/v1/chat/completions', { ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(2000) }] }), 413],
  ['direct access: GET the models', () => plain, () => get('/directAccess/v1/models?limit=2'), 200],
  ['direct access: a streamed chat', () => plain, () => json('/nim/v1/chat/completions/', { ...CHAT, stream: true }), 200],
  ['direct access: the backend\'s 405', () => plain, () => json('/directAccess/v1/models', {}, 'PUT'), 405],
  ['direct access: the backend\'s root', () => plain, () => get('/directAccess/'), 200],
  ['direct access: the backend\'s 404', () => plain, () => get('/directAccess/v2/nothing'), 404],
  ['direct access: no path', () => plain, () => get('/directAccess'), 404],
  ['direct access without a backend', () => noBackend, () => json('/directAccess/v1/chat/completions', CHAT), 400],
  ['direct access without a backend (PUT /nim/...)', () => noBackend, () => json('/nim/x', {}, 'PUT'), 400],
  ['direct access: backend unreachable', () => prefixed, () => get('/drum/directAccess/v1/models'), 502],
  ['URL_PREFIX: CSV to /drum/predict/', () => prefixed, () => csv('/drum/predict/'), 200],
  ['URL_PREFIX: GET /drum', () => prefixed, () => get('/drum'), 200],
  ['URL_PREFIX: GET /drum/ping/', () => prefixed, () => get('/drum/ping/'), 200],
  ['URL_PREFIX: CSV to /predict/', () => prefixed, () => csv('/predict/'), 404],
  ['URL_PREFIX: GET /drum/predict/', () => prefixed, () => get('/drum/predict/'), 405],
];

function multipartSent({ body, type }: { body: Buffer; type: string }, path = '/predict/'): Sent {
  return { method: 'POST', path, headers: { 'content-type': type }, body };
}

for (const [label, pair, sent, status] of cases) {
  test(`Koa answers as Express: ${label} (${status})`, async (t) => {
    const request = await sent();
    const express = comparable(await send(pair().express, request));
    const koa = comparable(await send(pair().koa, request));
    t.is(express.status, status, express.body);
    t.deepEqual(koa, express);
  });
}

test('the answers that differ by design: /info/ names its server', async (t) => {
  const info = async (server: RunningServer) => (JSON.parse((await send(server, get('/info/'))).body) as { drumServer: string }).drumServer;
  t.deepEqual([await info(plain.express), await info(plain.koa)], ['express', 'koa']);
});

/** name, request, Express's route, Koa's route, status. */
const tracedCases: readonly (readonly [name: string, sent: () => Sent, express: string, koa: string, status: number])[] = [
  ['drum.invocations', () => csv('/predict/'), '/predict/', '/predict', 200],
  ['drum.invocations', () => csv('/predictions/'), '/predictions/', '/predictions', 200],
  ['drum.invocations', () => csv('/invocations'), '/invocations', '/invocations', 200],
  ['drum.transform', () => csv('/transform/', 'x'.repeat(2048)), '/transform/', '/transform', 413],
  ['drum.predictUnstructured', () => csv('/predictionsUnstructured/', 'a,b\n1,2\n'), '/predictionsUnstructured/', '/predictionsUnstructured', 400],
  ['drum.chat.completions', () => json('/v1/chat/completions', { ...CHAT, stream: true }), '/v1/chat/completions', '/v1/chat/completions', 200],
  ['drum.directAccess', () => get('/directAccess/v1/models'), '/directAccess/*', '/directAccess/(.*)', 200],
];

for (const [name, sent, expressRoute, koaRoute, status] of tracedCases) {
  test.serial(`spans: ${name} on ${expressRoute}: the same span on Koa, route ${koaRoute}`, async (t) => {
    const spanOf = async (server: RunningServer) => {
      exporter.reset();
      t.is((await send(server, sent())).status, status);
      // The direct-access backend is untraced: one span per request.
      const spans = await finishedSpans(exporter, 1);
      return spans.map((span) => [span.name, span.kind, span.attributes['http.route'], span.attributes['http.response.status_code']]);
    };
    const express = await spanOf(plain.express);
    const koa = await spanOf(plain.koa);
    t.deepEqual(express, [[name, 1, expressRoute, status]]);
    t.deepEqual(koa, [[name, 1, koaRoute, status]]);
  });
}

test.serial('spans: a prediction span carries the row count and the prefix, health routes and unrouted requests have none', async (t) => {
  exporter.reset();
  for (const path of ['/drum/ping/', '/drum/info/', '/drum/predict/extra', '/drum/v1/models']) await send(prefixed.koa, get(path));
  t.is((await send(prefixed.koa, get('/drum/predict/'))).status, 405);
  t.is((await send(prefixed.koa, csv('/drum/predict/'))).status, 200);
  const spans = await finishedSpans(exporter, 1);
  t.deepEqual(
    spans.map((span) => [span.name, span.attributes['http.route'], span.attributes['url.path'], span.attributes['drum.prediction.rows']]),
    [['drum.invocations', '/drum/predict', '/drum/predict/', 3]],
  );
});

test.serial('tracing: false builds the Koa app without spans', async (t) => {
  const untraced = await listen(createKoaPredictionApp({ tracing: false }).callback());
  try {
    exporter.reset();
    t.is((await send(untraced, csv('/predict/'))).status, 200);
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
  } finally {
    await untraced.close();
  }
});
