import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import OpenAI from 'openai';
import { startOpenAiBackend, STREAM_CHUNKS, type OpenAiBackend } from '../fixtures/openai-backend';
import { plainBody, refusingEndpoint, startReceiver, type ExportedSpan, type OtlpReceiver } from './otlp-receiver';
import { PREDICTION_SERVER, PREDICTION_SERVERS, send, startProcess, type ServerProcess } from './server-process';

// DRUM's direct-access routes of the example server, as `npm start` and `npm run start:koa` run it: two example
// servers, one the LLM backend of the other (DIRECT_ACCESS_URL; the model server on each driver, the backend on
// Express), both exporting OTLP/HTTP JSON to one receiver, and the official openai client pointed at
// /directAccess/v1 and /nim/v1. Where a test must see what the backend itself got or
// did, the model server forwards to test/fixtures/openai-backend.ts instead (under URL_PREFIX=/drum, with a
// 1 s NIM_DIRECT_ACCESS_REQUEST_TIMEOUT).

const SERVER_KIND = 2;
const CLIENT_KIND = 3;
const STATUS_ERROR = 2;
const PARENT = '00f067aa0ba902b7';
/** The client's API key: forwarded to the backend, never on a span. */
const API_KEY = 'sk-direct-access-secret-4242';
const MESSAGES = [{ role: 'user' as const, content: '6.3, 3.3, 6.0, 2.5' }];

let receiver: OtlpReceiver;
let fixture: OpenAiBackend;

const newTrace = () => randomBytes(16).toString('hex');
const traceparent = (traceId: string) => `00-${traceId}-${PARENT}-01`;
const otlp = (serviceName: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '50',
  OTEL_SERVICE_NAME: serviceName,
});

test.before(async () => {
  receiver = await startReceiver();
  fixture = await startOpenAiBackend();
});

test.after.always(async () => {
  await fixture?.close();
  await receiver?.close();
});

// Each test starts the servers it needs (a process is stopped by its test's teardown).

/** The example server as the LLM backend (no DIRECT_ACCESS_URL of its own: its direct-access routes answer 400). */
const startBackend = (t: ExecutionContext) => startProcess(t, PREDICTION_SERVER, { PORT: '0', CHAT_TOKEN_DELAY_MS: '1', ...otlp('llm-backend') });

/** The spans of one trace, once `count` of them arrived (or after the bound, whatever arrived). */
async function traceSpans(traceId: string, count: number, timeoutMs = 20_000): Promise<ExportedSpan[]> {
  const deadline = Date.now() + timeoutMs;
  const ofTrace = () => receiver.spans().filter((span) => span.traceId === traceId);
  while (ofTrace().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return ofTrace();
}

/** The three spans of one proxied request: the model server's SERVER span, its CLIENT span, the backend's span. */
function chain(spans: readonly ExportedSpan[]) {
  const server = spans.find((span) => span.name === 'drum.directAccess');
  const client = spans.find((span) => span.kind === CLIENT_KIND && span.parentSpanId === server?.spanId);
  const backendSpan = spans.find((span) => span.name === 'drum.chat.completions' && span.parentSpanId === client?.spanId);
  return { server, client, backendSpan };
}

async function streamedAnswer(client: OpenAI, headers: Record<string, string> = {}) {
  const stream = await client.chat.completions.create({ model: 'iris-assistant', messages: MESSAGES, stream: true }, { headers });
  let text = '';
  let chunks = 0;
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, chunks, finish };
}

const openai = (baseURL: string) => new OpenAI({ apiKey: API_KEY, baseURL, maxRetries: 0 });

// The model server on each driver; the backend is always the Express server.
for (const { name, script, anyPath } of PREDICTION_SERVERS) {
  /** A model server whose direct-access routes forward to `backendUrl`. */
  const startModelServer = (t: ExecutionContext, backendUrl: string, env: Record<string, string> = {}) =>
    startProcess(t, script, { PORT: '0', DIRECT_ACCESS_URL: backendUrl, ...otlp('model-server'), ...env });

  /** A model server under URL_PREFIX=/drum forwarding to the fixture, with a 1 s timeout. */
  const startFixtureServer = (t: ExecutionContext) =>
    startModelServer(t, fixture.url, {
      URL_PREFIX: '/drum',
      MLOPS_RUNTIME_PARAM_NIM_DIRECT_ACCESS_REQUEST_TIMEOUT: JSON.stringify({ type: 'numeric', payload: 1 }),
    });

  /** The example backend and a model server in front of it. */
  async function startPair(t: ExecutionContext): Promise<{ backend: ServerProcess; modelServer: ServerProcess }> {
    const backend = await startBackend(t);
    return { backend, modelServer: await startModelServer(t, backend.url) };
  }

  test(`${name}: through /directAccess/v1 and /nim/v1 the openai client gets the backend models and streamed answer; one trace of three spans; no span holds the key`, async (t) => {
    const { backend, modelServer } = await startPair(t);
    const direct = openai(`${backend.url}/v1`);
    const expectedModels = (await direct.models.list()).data;
    const expectedAnswer = await streamedAnswer(direct);
    t.true(expectedAnswer.text.length > 0);
    for (const route of ['directAccess', 'nim']) {
      const proxied = openai(`${modelServer.url}/${route}/v1`);
      t.deepEqual((await proxied.models.list()).data, expectedModels, route);
      const traceId = newTrace();
      const answer = await streamedAnswer(proxied, {
        traceparent: traceparent(traceId),
        'X-DataRobot-Consumer-Id': 'user-42',
        'X-DataRobot-Consumer-Type': 'user',
      });
      t.deepEqual(answer, expectedAnswer, route);

      const spans = await traceSpans(traceId, 3);
      t.is(spans.length, 3, route);
      const { server, client, backendSpan } = chain(spans);
      t.like(server, { kind: SERVER_KIND, parentSpanId: PARENT, resource: { 'service.name': 'model-server' } }, route);
      t.like(server?.attributes, {
        'http.request.method': 'POST',
        'http.route': `/${route}/${anyPath}`,
        'url.path': `/${route}/v1/chat/completions`,
        'http.response.status_code': 200,
        'gen_ai.request.consumer_id': 'user-42',
        'gen_ai.request.consumer_type': 'user',
      });
      t.like(client, { name: 'POST', kind: CLIENT_KIND, resource: { 'service.name': 'model-server' } }, route);
      t.like(client?.attributes, {
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(backend.url).port),
        'url.full': `${backend.url}/v1/chat/completions`,
        'http.response.status_code': 200,
      });
      t.like(backendSpan, { kind: SERVER_KIND, resource: { 'service.name': 'llm-backend' } }, route);
      t.like(backendSpan?.attributes, { 'http.route': '/v1/chat/completions', 'gen_ai.request.model': 'iris-assistant' });
    }
    // Every attribute of every span (and resource) exported, in every export body: never the key.
    t.true(receiver.exports.length > 0);
    for (const received of receiver.exports) t.false(plainBody(received).toString('utf8').includes(API_KEY));
  });

  test(`${name}: Authorization reaches the backend unchanged; hop-by-hop headers do not; the backend status and headers come back`, async (t) => {
    const fixtureServer = await startFixtureServer(t);
    // The fixture is shared with the tests running beside this one: its request is the one with this mark.
    const mark = `kept-${randomBytes(8).toString('hex')}`;
    const answer = await send(`${fixtureServer.url}/drum/directAccess/v1/models/?limit=1`, {
      headers: { authorization: `Bearer ${API_KEY}`, connection: 'close, x-hop', 'x-hop': 'dropped', 'x-kept': mark },
    });
    t.is(answer.status, 200);
    t.is(answer.contentType, 'application/json');
    t.deepEqual((answer.json() as { data: { id: string }[] }).data[0].id, 'fixture');
    const seen = fixture.requests.filter((headers) => headers['x-kept'] === mark);
    t.is(seen.length, 1);
    t.is(seen[0].authorization, `Bearer ${API_KEY}`);
    t.is(seen[0]['x-hop'], undefined);
    t.is(seen[0].host, new URL(fixture.url).host);
    t.regex(String(seen[0].traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    t.is((await send(`${fixtureServer.url}/drum/nim/v1/unknown`)).status, 404, 'the backend status, unchanged');
  });

  test(`${name}: an abort after three chunks ends the backend generation`, async (t) => {
    const fixtureServer = await startFixtureServer(t);
    // The fixture is shared with the tests running beside this one: its generation is the one of this trace.
    const traceId = newTrace();
    const client = openai(`${fixtureServer.url}/drum/directAccess/v1`);
    const stream = await client.chat.completions.create(
      { model: 'fixture', messages: MESSAGES, stream: true },
      { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
    );
    let chunks = 0;
    for await (const chunk of stream) {
      t.truthy(chunk.choices[0]);
      if (++chunks === 3) break;
    }
    const deadline = Date.now() + 10_000;
    const ours = () => fixture.generations.filter((generation) => generation.traceId === traceId);
    while (ours().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const [generation] = ours();
    t.is(generation?.end, 'aborted');
    t.true(generation.written >= 3 && generation.written < STREAM_CHUNKS, `${generation.written} chunks written`);
  });

  test(`${name}: no backend: DRUM 400 and span status ERROR`, async (t) => {
    const modelServer = await startProcess(t, script, { PORT: '0', ...otlp('model-server') });
    const traceId = newTrace();
    const answer = await send(`${modelServer.url}/directAccess/v1/models`, { headers: { traceparent: traceparent(traceId) } });
    t.is(answer.status, 400);
    t.deepEqual(answer.json(), { message: 'This endpoint is only supported by OpenAI based predictors' });
    const [span] = await traceSpans(traceId, 1);
    t.like(span, { name: 'drum.directAccess', status: { code: STATUS_ERROR } });
    t.is(span.attributes['http.response.status_code'], 400);
  });

  test(`${name}: a dead backend: 502 with a message; a silent one past the timeout: 504; both spans ERROR`, async (t) => {
    const [deadServer, fixtureServer] = await Promise.all([refusingEndpoint().then((url) => startModelServer(t, url)), startFixtureServer(t)]);
    const deadTrace = newTrace();
    const dead = await send(`${deadServer.url}/nim/v1/models`, { method: 'PUT', body: '{}', headers: { traceparent: traceparent(deadTrace) } });
    t.is(dead.status, 502);
    t.regex((dead.json() as { message: string }).message, /ECONNREFUSED/);
    const hangTrace = newTrace();
    const started = Date.now();
    const hung = await send(`${fixtureServer.url}/drum/nim/hang`, { headers: { traceparent: traceparent(hangTrace) } });
    t.is(hung.status, 504);
    t.true(Date.now() - started >= 900, 'the 1 s timeout');
    for (const traceId of [deadTrace, hangTrace]) {
      const spans = await traceSpans(traceId, 2);
      t.like(spans.find((span) => span.name === 'drum.directAccess'), { kind: SERVER_KIND, status: { code: STATUS_ERROR } });
      t.like(spans.find((span) => span.kind === CLIENT_KIND), { status: { code: STATUS_ERROR } });
    }
  });

  test(`${name}: 50 concurrent streamed requests through the proxy each keep their own trace`, async (t) => {
    const { backend, modelServer } = await startPair(t);
    const client = openai(`${modelServer.url}/nim/v1`);
    const expected = await streamedAnswer(openai(`${backend.url}/v1`));
    const traces = Array.from({ length: 50 }, newTrace);
    const answers = await Promise.all(traces.map((traceId) => streamedAnswer(client, { traceparent: traceparent(traceId) })));
    for (const answer of answers) t.deepEqual(answer, expected);
    for (const traceId of traces) {
      const spans = await traceSpans(traceId, 3);
      const { server, client: clientSpan, backendSpan } = chain(spans);
      t.is(spans.length, 3);
      t.is(server?.parentSpanId, PARENT);
      t.truthy(clientSpan);
      t.truthy(backendSpan);
    }
  });

  /** Resident and peak resident memory of a process, in bytes (Linux /proc). */
  function memory(pid: number): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    return { rss: kB('VmRSS'), peak: kB('VmHWM') };
  }

  test(`${name}: a 10 MiB body reaches the backend whole, streamed: the proxy never holds two copies`, async (t) => {
    const size = 10 * 1024 * 1024;
    const body = randomBytes(size);
    const fixtureServer = await startFixtureServer(t);
    const pid = fixtureServer.child.pid!;
    const before = memory(pid);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const upload = request(`${fixtureServer.url}/drum/directAccess/v1/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (response) => {
        let text = '';
        response.on('data', (data: Buffer) => (text += data.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      upload.on('error', reject);
      // Written in 64 KiB pieces without a Content-Length: chunked, as a client streaming a file sends it.
      let offset = 0;
      const writeMore = () => {
        while (offset < size) {
          const piece = body.subarray(offset, offset + 65536);
          offset += piece.length;
          if (!upload.write(piece)) return void upload.once('drain', writeMore);
        }
        upload.end();
      };
      writeMore();
    });
    t.is(answer.status, 200);
    t.deepEqual(JSON.parse(answer.text), { bytes: size, sha256: createHash('sha256').update(body).digest('hex') });
    const after = memory(pid);
    // Streaming holds a few 64 KiB chunks at a time; buffering the body once would add 10 MiB, twice 20 MiB. The
    // peak may also count garbage not yet collected (young generation, up to 16 MiB by default on 64-bit, is
    // collected long before it fills with 64 KiB chunks in practice): the bound is two copies, the failure this
    // test exists for, and the margin is everything below it.
    t.true(after.peak - before.rss < 2 * size, `peak ${after.peak} vs ${before.rss} before: +${((after.peak - before.rss) / 1048576).toFixed(1)} MiB`);
    t.log(`proxy RSS before ${(before.rss / 1048576).toFixed(1)} MiB, peak after ${(after.peak / 1048576).toFixed(1)} MiB`);
  });
}
