import test from 'ava';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startReceiver } from '../e2e/otlp-receiver';
import { delay } from './support';

// `npm run test:stress` sets DRUM_OTEL_STRESS=1: more requests in flight.
const IN_FLIGHT = process.env.DRUM_OTEL_STRESS === '1' ? 2000 : 200;

test('SIGTERM with requests in flight: every completed request has its span exported before the process exits', async (t) => {
  t.timeout(60_000);
  const receiver = await startReceiver('ok');
  const output: string[] = [];
  const child = fork(join(__dirname, '..', 'fixtures', 'shutdown-server.js'), [], {
    env: { ...process.env, OTLP_URL: `${receiver.url}/v1/traces`, EXPECTED_IN_FLIGHT: String(IN_FLIGHT), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.on('data', (chunk) => output.push(String(chunk)));
  child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  const exited = once(child, 'exit');
  try {
    const messages: { type: string; port?: number }[] = [];
    child.on('message', (message: { type: string; port?: number }) => messages.push(message));
    while (!messages.some((message) => message.type === 'listening')) await delay(5);
    const { port } = messages.find((message) => message.type === 'listening')!;

    const pending = Array.from({ length: IN_FLIGHT }, async (_, n) => {
      const response = await fetch(`http://127.0.0.1:${port}/work/${n}`, { headers: { 'x-datarobot-consumer-id': `consumer-${n}` } });
      return { n, status: response.status, body: await response.json() };
    });
    while (!messages.some((message) => message.type === 'all-in-flight')) await delay(5);
    t.is(receiver.exports.length, 0, 'nothing was exported before SIGTERM');
    child.kill('SIGTERM');

    const settled = await Promise.allSettled(pending);
    const [code] = await exited;
    t.is(code, 0);
    const completed = settled.flatMap((result) => (result.status === 'fulfilled' && result.value.status === 200 ? [result.value] : []));
    t.is(completed.length, IN_FLIGHT, 'the server let every request in flight finish');
    t.true(completed.every(({ n, body }) => JSON.stringify(body) === JSON.stringify({ n, consumer: `consumer-${n}` })));

    const spans = receiver.spans();
    t.is(spans.length, completed.length);
    const byPath = new Map(spans.map((span) => [span.attributes['url.path'], span]));
    t.is(byPath.size, spans.length, 'one span per request');
    const missing = completed.filter(({ n }) => {
      const span = byPath.get(`/work/${n}`);
      return (
        span === undefined ||
        span.name !== 'drum.GET /work/:n' ||
        span.attributes['http.response.status_code'] !== 200 ||
        span.attributes['gen_ai.request.consumer_id'] !== `consumer-${n}` ||
        span.attributes['drum.request.aborted'] !== undefined
      );
    });
    t.deepEqual(missing.map(({ n }) => n), []);
  } catch (error) {
    t.log(output.join(''));
    throw error;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await receiver.close();
  }
  if (!t.passed) t.log(output.join(''));
});
