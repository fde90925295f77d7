/**
 * What each piece `setupOtel()` registers adds to drum-otel's request path when no span is recorded
 * (`OTEL_TRACES_SAMPLER=always_off`), measured in one process: `npm run build:all && node
 * build/bench/setup-parts.js` (BENCH_NODES as for the bench; PARTS_BLOCKS blocks per variant).
 *
 * One request through drum-otel's middleware and action override, as parts.js drives it (no Express, no
 * sockets), under globals switched block by block, the variants taking turns: the API's no-ops (what
 * `sdk-disabled` runs), then cumulatively the AsyncLocalStorage context manager, the B3 + W3C propagators,
 * the SDK's tracer provider with `always_off`, and the `diag` console logger: `shipped-off`. Beside them, the
 * same with one piece swapped (W3C propagators only, no diag logger), every request sampled, and the SDK's
 * own `startSpan` of a span that is not recorded, with drum-otel's attributes and without. Last, drum-otel's
 * path of a sampled request beside what the HTTP bench's `span-only` middleware does (its own share), in CPU
 * time and in heap bytes allocated per request.
 */
import { fork } from 'node:child_process';
import {
  context,
  diag,
  DiagConsoleLogger,
  DiagLogLevel,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type TextMapPropagator,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TracerProvider as SdkTracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { getMetadataArgsStorage, JsonController, Post } from 'routing-controllers';
import * as drumOtel from 'drum-otel';
import { PooledIdGenerator } from '../src/setup/id-generator';
import { benchNodes } from './node-binaries';
import { BLOCKS, FinishedResponse, HEADERS, interleaved, print, type Measured, type Operation } from './in-process';

type Middleware = (request: unknown, response: unknown, next: () => void) => void;
type Override = (actionMetadata: unknown, action: unknown, params: unknown[]) => unknown;


/** One request through drum-otel's middleware and action override, spans from `tracerProvider`. */
function requestPath(tracerProvider: TracerProvider): Operation {
  @JsonController()
  class SetupPartsController {
    @Post('/predict/')
    predict(): number {
      return 1;
    }
  }
  drumOtel.instrumentControllers([SetupPartsController], { tracerProvider, metrics: false });
  const storage = getMetadataArgsStorage();
  const middleware = storage.uses.find((use) => use.target === SetupPartsController)!.middleware as Middleware;
  const override = storage.actions.find((action) => action.target === SetupPartsController)!.methodOverride as Override;
  const request = { method: 'POST', url: '/predict/', originalUrl: '/predict/', headers: HEADERS, route: { path: '/predict/', methods: { post: true } } };
  const actionMetadata = { target: SetupPartsController, method: 'predict', callMethod: () => 1 };
  return () => {
    const response = new FinishedResponse();
    middleware(request, response, () => override(actionMetadata, { request, response }, []));
    response.emit('close');
  };
}

const contextManager = new AsyncLocalStorageContextManager();
const shippedPropagator: TextMapPropagator = new CompositePropagator({
  propagators: [new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});
const w3cPropagator: TextMapPropagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
const diagLogger = new DiagConsoleLogger();

interface Globals {
  readonly contextManager?: boolean;
  readonly propagator?: TextMapPropagator;
  readonly diag?: boolean;
}

function globalsOf(wanted: Globals): () => void {
  return () => {
    context.disable();
    propagation.disable();
    diag.disable();
    if (wanted.contextManager) context.setGlobalContextManager(contextManager);
    if (wanted.propagator) propagation.setGlobalPropagator(wanted.propagator);
    if (wanted.diag) diag.setLogger(diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  };
}

const sdkProvider = (sampler: Sampler): SdkTracerProvider => new SdkTracerProvider({ sampler, idGenerator: new PooledIdGenerator() });

/** drum-otel's request path under setupOtel's pieces added one by one, and swapped. */
function requestPathTable(): Record<string, Measured> {
  const noop = new ProxyTracerProvider();
  const off = sdkProvider(new AlwaysOffSampler());
  const on = sdkProvider(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const shipped: Globals = { contextManager: true, propagator: shippedPropagator, diag: true };
  return interleaved({
    '1 API no-ops (sdk-disabled)': { before: globalsOf({}), operation: requestPath(noop) },
    '2 + AsyncLocalStorage context manager': { before: globalsOf({ contextManager: true }), operation: requestPath(noop) },
    '3 + B3 + W3C propagators': { before: globalsOf({ contextManager: true, propagator: shippedPropagator }), operation: requestPath(noop) },
    '4 + SDK provider, always_off': {
      before: globalsOf({ contextManager: true, propagator: shippedPropagator }),
      operation: requestPath(off),
    },
    '5 + diag logger, warn (shipped-off)': { before: globalsOf(shipped), operation: requestPath(off) },
    'shipped-off, W3C propagators only': { before: globalsOf({ ...shipped, propagator: w3cPropagator }), operation: requestPath(off) },
    'shipped-off, no context manager': { before: globalsOf({ ...shipped, contextManager: false }), operation: requestPath(off) },
    'shipped (every request sampled, no processor)': { before: globalsOf(shipped), operation: requestPath(on) },
  });
}

/**
 * What the bench's `span-only` middleware does for one request (bench/tracing.ts: the parent extracted, a SERVER
 * span with five attributes, its context entered, the status set and the span ended at the response's close),
 * on `tracerProvider`: the SDK's part of a traced request, without drum-otel.
 */
function spanOnlyPath(tracerProvider: TracerProvider): Operation {
  const tracer = tracerProvider.getTracer('setup-parts.span-only');
  const request = { method: 'POST', url: '/predict/', httpVersion: '1.1', headers: HEADERS };
  const next = (): number => 0;
  return () => {
    const response = new FinishedResponse();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const attributes = {
      'http.request.method': request.method,
      'http.route': request.url,
      'url.path': request.url,
      'url.scheme': 'http',
      'network.protocol.version': request.httpVersion,
    };
    const span = tracer.startSpan(`${request.method} ${request.url}`, { kind: SpanKind.SERVER, attributes }, parent);
    response.once('close', () => {
      span.setAttribute('http.response.status_code', response.statusCode);
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
    response.emit('close');
  };
}

/**
 * drum-otel's request path beside the `span-only` middleware under the shipped globals, every request
 * sampled: the difference is drum-otel's own share of a traced request (its code, and the SDK's work for the
 * attributes drum-otel adds), measured where the HTTP bench cannot resolve it.
 */
function ownShareTable(): Record<string, Measured> {
  const on = sdkProvider(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const before = globalsOf({ contextManager: true, propagator: shippedPropagator, diag: true });
  return interleaved({
    'the response object and its close event alone (subtract)': { before, operation: () => void new FinishedResponse().emit('close') },
    "span-only's middleware (the SDK's span, no drum-otel)": { before, operation: spanOnlyPath(on) },
    "drum-otel's request path (shipped)": { before, operation: requestPath(on) },
  });
}

/** The SDK's own work for a span it does not record: `startSpan` with drum-otel's attributes and without. */
function startSpanTable(): Record<string, Measured> {
  const tracer = sdkProvider(new AlwaysOffSampler()).getTracer('setup-parts');
  const attributes = {
    'http.request.method': 'POST',
    'url.path': '/predict/',
    'url.scheme': 'http',
    'server.address': '127.0.0.1',
    'server.port': 8080,
    'network.protocol.version': '1.1',
    'user_agent.original': 'python-requests/2.32.3',
    'client.address': '127.0.0.1',
    'http.route': '/predict/',
    'drum.request.content_type': 'text/csv',
  };
  const before = globalsOf({ contextManager: true, propagator: shippedPropagator, diag: true });
  return interleaved({
    'SDK startSpan, always_off, 10 attributes': { before, operation: () => void tracer.startSpan('POST /predict/', { kind: SpanKind.SERVER, attributes }, ROOT_CONTEXT) },
    'SDK startSpan, always_off, no attributes': { before, operation: () => void tracer.startSpan('POST /predict/', { kind: SpanKind.SERVER }, ROOT_CONTEXT) },
    'trace.setSpan + context.with (ALS)': {
      before,
      operation: () => void context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 0 })), () => 0),
    },
  });
}


function measure(): void {
  print(`drum-otel's request path (CPU ns per request, median of ${BLOCKS} blocks)`, requestPathTable());
  print('the SDK alone (CPU ns per call)', startSpanTable());
  print("drum-otel's own share of a sampled request: its path beside span-only's middleware (CPU ns, heap bytes per request)", ownShareTable());
}

async function main(): Promise<void> {
  for (const node of benchNodes((line) => console.log(line))) {
    console.log(`\n## Node ${node.version}`);
    const child = fork(__filename, [], { execPath: node.path, env: { ...process.env, SETUP_PARTS_CHILD: '1' }, stdio: 'inherit' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (process.env.SETUP_PARTS_CHILD === '1') measure();
else void main();
