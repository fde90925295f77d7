/**
 * The parts of the shipped set-up measured alone, in one process per Node version, so that what the HTTP
 * bench cannot resolve on a busy machine (a microsecond among a hundred) is measured where it can be:
 * `npm run build:all && node build/bench/parts.js` (BENCH_NODES as for the bench).
 *
 * Every operation runs in short blocks, the operations of one table taking turns block by block; the
 * median over blocks of CPU nanoseconds per operation is reported (process CPU time, so that the time other
 * processes take does not count; a block they disturbed otherwise is an outlier the median ignores). The promise tax of an enabled AsyncLocalStorage needs a process that never
 * enabled one, so it is measured in child processes, alternately with and without.
 *
 * drum-otel's own path of one request (its middleware, the action call, the end of the response) is driven
 * without Express or sockets; PARTS_COMPARE_DIST=<a dist/ directory of another build> measures that build's
 * path beside this one's, block by block, so a change is measured against its parent in one run.
 */
import { fork } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { context, createContextKey, defaultTextMapGetter, propagation, ROOT_CONTEXT, SpanKind, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  TracerProvider as SdkTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getMetadataArgsStorage, JsonController, Post } from 'routing-controllers';
import * as thisBuild from 'drum-otel';
import { setupOtel } from 'drum-otel/setup';
import { PooledIdGenerator } from '../src/setup/id-generator';
import { CollectingReader } from './collecting-reader';
import { flagsFromEnv } from './configs';
import { benchNodes } from './node-binaries';
import { median } from './stats';
import { cpuMicros, FinishedResponse, HEADERS, interleaved, print, type Measured, type Operation } from './in-process';


const TRACED_HEADERS = { ...HEADERS, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

function propagatorTable(): Record<string, Measured> {
  // The global propagator is setupOtel's (B3 single and multi header, W3C trace context, W3C baggage).
  const w3c = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  return interleaved({
    'extract B3+W3C+baggage (no trace headers)': () => void propagation.extract(ROOT_CONTEXT, HEADERS),
    'extract W3C+baggage (no trace headers)': () => void w3c.extract(ROOT_CONTEXT, HEADERS, defaultTextMapGetter),
    'extract B3+W3C+baggage (traceparent)': () => void propagation.extract(ROOT_CONTEXT, TRACED_HEADERS),
    'extract W3C+baggage (traceparent)': () => void w3c.extract(ROOT_CONTEXT, TRACED_HEADERS, defaultTextMapGetter),
  });
}

/** The SDK's tracer provider as setupOtel builds it (its ids from the pool), with this sampler and these processors. */
function providerWith(sampler: ParentBasedSampler, processors: SpanProcessor[] = []): SdkTracerProvider {
  return new SdkTracerProvider({ sampler, idGenerator: new PooledIdGenerator(), spanProcessors: processors });
}

function tracerWith(sampler: ParentBasedSampler, processors: SpanProcessor[] = []): Tracer {
  return providerWith(sampler, processors).getTracer('parts');
}

const ATTRIBUTES = { 'http.request.method': 'POST', 'http.route': '/predict/', 'url.path': '/predict/' };

function spanTable(): Record<string, Measured> {
  const always = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const ratio = tracerWith(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }));
  const dropping = { export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
  const batched = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }), [new BatchSpanProcessor({ exporter: dropping })]);
  const span = (tracer: Tracer) => () => {
    const started = tracer.startSpan('drum.POST /predict/', { kind: SpanKind.SERVER, attributes: { ...ATTRIBUTES } }, ROOT_CONTEXT);
    started.setAttribute('http.response.status_code', 200);
    started.end();
  };
  const sdkIds = new RandomIdGenerator();
  const pooledIds = new PooledIdGenerator();
  return interleaved({
    "trace id + span id, the SDK's RandomIdGenerator (a root span makes both, sampled or not)": () =>
      void (sdkIds.generateTraceId() + sdkIds.generateSpanId()),
    "trace id + span id, setupOtel's PooledIdGenerator": () => void (pooledIds.generateTraceId() + pooledIds.generateSpanId()),
    'span start+end, 100%, no processor (exporter none)': span(always),
    'span start+end, 1% (parentbased_traceidratio)': span(ratio),
    'span start+end, 100%, BatchSpanProcessor': span(batched),
  });
}

/**
 * The SDK's key of an attribute set, computed for every measurement recorded. The package exports only its
 * entry point, so its module is loaded by path.
 */
const { hashAttributes } = createRequire(__filename)(join(dirname(require.resolve('@opentelemetry/sdk-metrics')), 'utils.cjs')) as {
  hashAttributes(attributes: Record<string, unknown>): string;
};

/** The attributes drum-otel records a request's duration under. */
const DURATION_ATTRIBUTES = {
  'http.request.method': 'POST',
  'url.scheme': 'http',
  'http.route': '/predict/',
  'network.protocol.version': '1.1',
  'http.response.status_code': 200,
};

function metricsTable(): Record<string, Measured> {
  const histogram = new MeterProvider({ readers: [new CollectingReader()] }).getMeter('parts').createHistogram('http.server.request.duration');
  return interleaved({
    'histogram.record, the duration attributes (SDK MeterProvider)': () => histogram.record(0.003, { ...DURATION_ATTRIBUTES }),
    "of which the SDK's hashAttributes": () => void hashAttributes({ ...DURATION_ATTRIBUTES }),
  });
}

const KEY = createContextKey('parts');

function contextTable(): Record<string, Measured> {
  const entered = ROOT_CONTEXT.setValue(KEY, 1);
  const noop = (): void => {};
  return interleaved({
    'context.with (AsyncLocalStorage.run)': () => context.with(entered, noop),
    'context.active()': () => void context.active(),
  });
}

// --- drum-otel's own request path -----------------------------------------------------------------------

type DrumOtel = typeof import('drum-otel');
type Middleware = (request: unknown, response: unknown, next: () => void) => void;
type Override = (actionMetadata: unknown, action: unknown, params: unknown[]) => unknown;


/** One request through `drumOtel`'s middleware and action override, as routing-controllers calls them. */
function requestPath(drumOtel: DrumOtel, tracerProvider: TracerProvider, metrics = true): Operation {
  // A fresh class per variant: instrumentControllers marks the class it instruments.
  @JsonController()
  class PartsController {
    @Post('/predict/')
    predict(): number {
      return 1;
    }
  }
  drumOtel.instrumentControllers([PartsController], { tracerProvider, metrics });
  const storage = getMetadataArgsStorage();
  const middleware = storage.uses.find((use) => use.target === PartsController)!.middleware as Middleware;
  const override = storage.actions.find((action) => action.target === PartsController)!.methodOverride as Override;
  const request = {
    method: 'POST',
    url: '/predict/',
    originalUrl: '/predict/',
    headers: HEADERS,
    route: { path: '/predict/', methods: { post: true } },
  };
  const actionMetadata = { target: PartsController, method: 'predict', callMethod: () => 1 };
  return () => {
    const response = new FinishedResponse();
    middleware(request, response, () => override(actionMetadata, { request, response }, []));
    response.emit('close');
  };
}

/** The action call of a @NoTrace() action, which runs with tracing suppressed. */
function noTraceCall(drumOtel: DrumOtel): Operation {
  @JsonController()
  class QuietController {
    @Post('/echo/')
    echo(): number {
      return 1;
    }
  }
  drumOtel.NoTrace()(QuietController);
  drumOtel.instrumentControllers([QuietController]);
  const override = getMetadataArgsStorage().actions.find((action) => action.target === QuietController)!.methodOverride as Override;
  const actionMetadata = { target: QuietController, method: 'echo', callMethod: () => 1 };
  const action = { request: {}, response: new FinishedResponse() };
  return () => void override(actionMetadata, action, []);
}

function requestPathTable(): Record<string, Measured> {
  const variants: [string, DrumOtel][] = [['this build', thisBuild]];
  const compared = process.env.PARTS_COMPARE_DIST;
  // Another build's dist, chosen at run time: only require() can load it synchronously.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (compared) variants.push([`PARTS_COMPARE_DIST`, require(resolve(compared)) as DrumOtel]);
  const always = providerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const ratio = providerWith(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }));
  const operations: Record<string, Operation> = {
    'response object + close event alone (subtract)': () => void new FinishedResponse().emit('close'),
  };
  for (const [name, drumOtel] of variants) {
    operations[`request path, 100%, ${name}`] = requestPath(drumOtel, always);
    operations[`request path, 1%, ${name}`] = requestPath(drumOtel, ratio);
    operations[`request path, 1%, metrics: false, ${name}`] = requestPath(drumOtel, ratio, false);
    operations[`@NoTrace() action call, ${name}`] = noTraceCall(drumOtel);
  }
  return interleaved(operations);
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
    const started = cpuMicros();
    await run();
    samples.push(((cpuMicros() - started) * 1000) / AWAITS);
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


/** The shipped context manager and propagator, registered globally as setupOtel registers them (exporter none). */
function setUpShipped(): void {
  process.env.OTEL_TRACES_EXPORTER = 'none';
  setupOtel();
}

async function measureHere(): Promise<void> {
  setUpShipped();
  print('propagator (per request)', propagatorTable());
  print('span (per traced request)', spanTable());
  print('context', contextTable());
  print('metrics (per request, sampled or not)', metricsTable());
  print("drum-otel's request path (shipped context manager and propagator)", requestPathTable());
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
      fork(__filename, ['here'], { execPath: node.path, execArgv: flagsFromEnv('PARTS_NODE_FLAGS'), stdio: 'inherit' }).once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`parts under ${node.version} exited ${code}`)),
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
