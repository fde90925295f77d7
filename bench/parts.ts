/**
 * The parts of the shipped set-up measured alone, in one process per Node version, so that what the HTTP
 * bench cannot resolve on a busy machine (a microsecond among a hundred) is measured where it can be:
 * `npm run build:all && node build/bench/parts.js` (BENCH_NODES as for the bench).
 *
 * Every operation runs in short blocks, the operations of one table taking turns block by block; the
 * median over blocks of nanoseconds per operation is reported (a block another process preempted is an
 * outlier the median ignores). The promise tax of an enabled AsyncLocalStorage needs a process that never
 * enabled one, so it is measured in child processes, alternately with and without.
 */
import { fork } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { benchNodes } from './node-binaries';
import { median } from './stats';

/** Nanoseconds one call of `operation` takes, per block; `operation` runs `count` times in a block. */
type Operation = () => void;

const BLOCK_MS = 4;
const BLOCKS = Number(process.env.PARTS_BLOCKS ?? 200);

function calibrate(operation: Operation): number {
  let count = 1;
  for (;;) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) operation();
    if (Number(process.hrtime.bigint() - started) / 1e6 >= BLOCK_MS) return count;
    count *= 2;
  }
}

/** Median ns per call of each operation, the operations taking turns block by block. */
function interleaved(operations: Readonly<Record<string, Operation>>): Record<string, number> {
  const names = Object.keys(operations);
  const counts = names.map((name) => calibrate(operations[name]));
  const samples = names.map((): number[] => []);
  for (let block = 0; block < BLOCKS; block++) {
    names.forEach((name, index) => {
      const operation = operations[name];
      const count = counts[index];
      const started = process.hrtime.bigint();
      for (let i = 0; i < count; i++) operation();
      samples[index].push(Number(process.hrtime.bigint() - started) / count);
    });
  }
  return Object.fromEntries(names.map((name, index) => [name, median(samples[index])]));
}

/** Request headers as a DRUM client sends them, without trace headers (most requests have none). */
const HEADERS: Record<string, string> = {
  host: '127.0.0.1:8080',
  'user-agent': 'python-requests/2.32.3',
  'accept-encoding': 'gzip, deflate',
  accept: '*/*',
  connection: 'keep-alive',
  'content-type': 'text/csv',
  'content-length': '280',
};
const TRACED_HEADERS = { ...HEADERS, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

function shippedPropagator(): CompositePropagator {
  // The same construction as setupOtel's createPropagator (not exported by the package).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
  return new CompositePropagator({
    propagators: [new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
}

function propagatorTable(): Record<string, number> {
  const shipped = shippedPropagator();
  const w3c = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  const getter = { get: (carrier: Record<string, string>, key: string) => carrier[key], keys: Object.keys };
  return interleaved({
    'extract B3+W3C+baggage (no trace headers)': () => void shipped.extract(ROOT_CONTEXT, HEADERS, getter),
    'extract W3C+baggage (no trace headers)': () => void w3c.extract(ROOT_CONTEXT, HEADERS, getter),
    'extract B3+W3C+baggage (traceparent)': () => void shipped.extract(ROOT_CONTEXT, TRACED_HEADERS, getter),
    'extract W3C+baggage (traceparent)': () => void w3c.extract(ROOT_CONTEXT, TRACED_HEADERS, getter),
  });
}

function tracerWith(sampler: ParentBasedSampler, processors: SpanProcessor[] = []): Tracer {
  return new BasicTracerProvider({ sampler, spanProcessors: processors }).getTracer('parts');
}

const ATTRIBUTES = { 'http.request.method': 'POST', 'http.route': '/predict/', 'url.path': '/predict/' };

function spanTable(): Record<string, number> {
  const always = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const ratio = tracerWith(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }));
  const dropping = { export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
  const batched = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }), [new BatchSpanProcessor(dropping)]);
  const span = (tracer: Tracer) => () => {
    const started = tracer.startSpan('drum.POST /predict/', { kind: SpanKind.SERVER, attributes: { ...ATTRIBUTES } }, ROOT_CONTEXT);
    started.setAttribute('http.response.status_code', 200);
    started.end();
  };
  return interleaved({
    'span start+end, 100%, no processor (exporter none)': span(always),
    'span start+end, 1% (parentbased_traceidratio)': span(ratio),
    'span start+end, 100%, BatchSpanProcessor': span(batched),
  });
}

const KEY = createContextKey('parts');

function contextTable(): Record<string, number> {
  // Enabled the way setupOtel enables it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const entered = ROOT_CONTEXT.setValue(KEY, 1);
  const noop = (): void => {};
  return interleaved({
    'context.with (AsyncLocalStorage.run)': () => context.with(entered, noop),
    'context.active()': () => void context.active(),
    'propagation.extract of the global propagator (none registered)': () => void propagation.extract(ROOT_CONTEXT, HEADERS),
  });
}

// --- the promise tax: child processes -----------------------------------------------------------------

const AWAITS = 20_000;

async function awaitChain(): Promise<void> {
  for (let i = 0; i < AWAITS; i++) await Promise.resolve(i);
}

/** ns per `await` in this process, with an AsyncLocalStorage store active or with none ever enabled. */
async function promiseChild(withStorage: boolean): Promise<number> {
  const storage = new AsyncLocalStorage<number>();
  const run = (): Promise<void> => (withStorage ? storage.run(1, awaitChain) : awaitChain());
  for (let i = 0; i < 20; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / AWAITS);
  }
  return median(samples);
}

function runChild(node: string, withStorage: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['promise-child', String(withStorage)], { execPath: node, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (ns: number) => resolve(ns));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`promise child exited ${code}`))));
  });
}

async function promiseTable(node: string): Promise<Record<string, number>> {
  const plain: number[] = [];
  const stored: number[] = [];
  for (let i = 0; i < 5; i++) {
    plain.push(await runChild(node, false));
    stored.push(await runChild(node, true));
  }
  return { 'await, no AsyncLocalStorage enabled': median(plain), 'await, inside AsyncLocalStorage.run': median(stored) };
}

// --- driver ------------------------------------------------------------------------------------------------

function print(title: string, table: Record<string, number>): void {
  console.log(`  ${title}`);
  for (const [name, ns] of Object.entries(table)) console.log(`    ${ns.toFixed(0).padStart(7)} ns  ${name}`);
}

async function measureHere(): Promise<void> {
  print('propagator (per request)', propagatorTable());
  print('span (per traced request)', spanTable());
  print('context', contextTable());
  print('promise tax (child processes, alternating)', await promiseTable(process.execPath));
}

async function main(): Promise<void> {
  const [mode, argument] = process.argv.slice(2);
  if (mode === 'promise-child') {
    process.send!(await promiseChild(argument === 'true'));
    process.exit(0);
  }
  if (mode === 'here') return measureHere();
  for (const node of benchNodes((line) => console.log(line))) {
    console.log(`Node ${node.version}`);
    await new Promise<void>((resolve, reject) => {
      fork(__filename, ['here'], { execPath: node.path, stdio: 'inherit' }).once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`parts under ${node.version} exited ${code}`)),
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
