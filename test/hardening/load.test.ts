import 'reflect-metadata';
import { Agent, request } from 'node:http';
import test from 'ava';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '../helpers/sdk';
import { Body, HeaderParam, JsonController, Param, Post } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { delay, drumSpans, startServerWith } from './support';

// `npm run test:stress` sets DRUM_OTEL_STRESS=1: more requests, several rounds.
const STRESS = process.env.DRUM_OTEL_STRESS === '1';
const COUNT = STRESS ? 5000 : 2000;
const ROUNDS = STRESS ? 4 : 1;

const { exporter } = registerTracing();
const diagRecords = captureDiag();
const tracer = trace.getTracer('load-test');

let inFlight = 0;
let maxInFlight = 0;
let release: () => void = () => {};
let barrier = Promise.resolve();

@JsonController()
class LoadController {
  @Post('/load/:n')
  async load(@Param('n') n: number, @Body() body: { n: number }, @HeaderParam('x-datarobot-consumer-id') consumer: string) {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (inFlight === COUNT) release();
    // Every request waits until all are in their handlers: the spans below interleave across all of them.
    await barrier;
    await tracer.startActiveSpan('child.await', async (span) => {
      span.setAttribute('request.n', n);
      await delay(n % 5);
      span.end();
    });
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        tracer.startActiveSpan('child.timer', (span) => {
          span.setAttribute('request.n', n);
          span.end();
        });
        resolve();
      }, n % 7),
    );
    await Promise.resolve();
    const after = tracer.startSpan('child.after', { attributes: { 'request.n': n } });
    after.end();
    inFlight--;
    return { n, body: body.n, consumer };
  }
}

let server: RunningServer;

// node:http rather than fetch: fetch gives up on a connection not accepted within 10 s, which 5000 connections
// opened at once on a busy machine can take; the kernel's own retries of a connection attempt are the limit here.
const agent = new Agent({ maxSockets: Infinity });

/** POSTs `body` as JSON and resolves with the status and the parsed answer. */
function postJson(url: string, headers: Record<string, string>, body: string): Promise<[number, unknown]> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve([response.statusCode ?? 0, JSON.parse(Buffer.concat(chunks).toString('utf8'))]));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

test.before(async () => {
  instrumentControllers([LoadController]);
  server = await startServerWith({ controllers: [LoadController] }, { backlog: 8192 });
});

test.after.always(async () => {
  agent.destroy();
  await server?.close();
});

const hex = (value: number, length: number) => value.toString(16).padStart(length, '0');

for (let round = 0; round < ROUNDS; round++) {
  test.serial(`round ${round + 1}: ${COUNT} concurrent requests, spans across awaits and timers: zero cross-talk`, async (t) => {
    t.timeout(STRESS ? 300_000 : 40_000);
    exporter.reset();
    diagRecords.length = 0;
    maxInFlight = 0;
    barrier = new Promise<void>((resolve) => (release = resolve));
    // If the client cannot open every connection at once, do not wait forever: the concurrency assertion says so.
    const fallback = setTimeout(() => release(), 15_000);
    const offset = round * COUNT;
    const responses = await Promise.all(
      Array.from({ length: COUNT }, async (_, index) => {
        const n = offset + index;
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-datarobot-consumer-id': `consumer-${n}` };
        if (n % 2 === 0) headers.traceparent = `00-${hex(n + 1, 32)}-${hex(n + 1, 16)}-01`;
        return postJson(`${server.url}/load/${n}`, headers, JSON.stringify({ n }));
      }),
    );
    clearTimeout(fallback);
    t.is(maxInFlight, COUNT, 'all requests were in their handlers at once');
    const wrong = responses.filter(([status, body], index) => {
      const n = offset + index;
      return status !== 200 || JSON.stringify(body) !== JSON.stringify({ n, body: n, consumer: `consumer-${n}` });
    });
    t.deepEqual(wrong, []);

    const spans = await finishedSpans(exporter, 4 * COUNT, 20_000);
    t.is(spans.length, 4 * COUNT);
    const servers = drumSpans(spans);
    t.is(servers.length, COUNT);
    const serverByN = new Map<number, ReadableSpan>();
    const problems: string[] = [];
    for (const span of servers) {
      const n = Number(String(span.attributes['url.path']).slice('/load/'.length));
      if (serverByN.has(n)) problems.push(`two spans for ${n}`);
      serverByN.set(n, span);
      if (span.name !== 'drum.POST /load/:n') problems.push(`${n}: name ${span.name}`);
      if (span.kind !== SpanKind.SERVER) problems.push(`${n}: kind ${span.kind}`);
      if (span.attributes['gen_ai.request.consumer_id'] !== `consumer-${n}`) problems.push(`${n}: consumer ${span.attributes['gen_ai.request.consumer_id']}`);
      if (span.attributes['http.response.status_code'] !== 200) problems.push(`${n}: status ${span.attributes['http.response.status_code']}`);
      if (n % 2 === 0) {
        if (span.spanContext().traceId !== hex(n + 1, 32) || span.parentSpanContext?.spanId !== hex(n + 1, 16)) problems.push(`${n}: parent`);
      } else if (span.parentSpanContext !== undefined) {
        problems.push(`${n}: unexpected parent`);
      }
    }
    t.is(serverByN.size, COUNT);
    const children = spans.filter((span) => span.instrumentationScope.name === 'load-test');
    t.is(children.length, 3 * COUNT);
    const childNames = new Map<number, string[]>();
    for (const child of children) {
      const n = child.attributes['request.n'] as number;
      const parent = serverByN.get(n);
      if (parent === undefined) {
        problems.push(`child ${child.name} of unknown request ${n}`);
        continue;
      }
      if (child.parentSpanContext?.spanId !== parent.spanContext().spanId) problems.push(`${child.name} of ${n}: wrong parent`);
      if (child.spanContext().traceId !== parent.spanContext().traceId) problems.push(`${child.name} of ${n}: wrong trace`);
      childNames.set(n, [...(childNames.get(n) ?? []), child.name]);
    }
    for (const [n, names] of childNames) {
      if (names.sort().join() !== 'child.after,child.await,child.timer') problems.push(`${n}: children ${names.join()}`);
    }
    t.deepEqual(problems.slice(0, 20), []);
    t.deepEqual(diagRecords, []);
  });
}
