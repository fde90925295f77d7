/**
 * The example prediction server (examples/prediction-server/app.ts) as part of the bench server,
 * for its `POST /predict/`. Loaded at run time from build/ (after the configuration's tracing is set up), so
 * that the bench compiles and runs whether or not the example exists.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Framework, Instrumentation } from './configs';

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface ExampleApp {
  /** The example's Express app; absent when the example cannot be used in this configuration. */
  readonly listener?: RequestListener;
  readonly routes: readonly string[];
  readonly notes: readonly string[];
}

/** Where each framework's example app is, and how its factory's result becomes a request listener. */
interface ExampleEntry {
  readonly file: string;
  readonly factory: string;
  listener(app: unknown): RequestListener;
}

const EXAMPLE_ENTRIES: Readonly<Record<Framework, ExampleEntry>> = {
  express: { file: 'app', factory: 'createPredictionApp', listener: (app) => app as RequestListener },
  koa: { file: 'koa-app', factory: 'createKoaPredictionApp', listener: (app) => (app as { callback(): RequestListener }).callback() },
};

type ExampleFactory = (options?: { tracing?: boolean }) => unknown;

function factoryOf(module: unknown, name: string): ExampleFactory | undefined {
  const factory = (module as Record<string, unknown> | null)?.[name];
  return typeof factory === 'function' ? (factory as ExampleFactory) : undefined;
}

/**
 * The example app as a configuration needs it: instrumented by its own `tracing` option where drum-otel
 * traces, plain in the others (`auto` instruments it from outside, `floor` wraps it). The example's predict
 * actions are @Traced by the example itself, so `notrace` has no @NoTrace() predict route to measure.
 */
export function loadExampleApp(instrumentation: Instrumentation, framework: Framework = 'express'): ExampleApp {
  const entry = EXAMPLE_ENTRIES[framework];
  const source = `examples/prediction-server/${entry.file}.ts`;
  const modulePath = join(__dirname, '..', 'examples', 'prediction-server', `${entry.file}.js`);
  if (!existsSync(modulePath)) {
    return { routes: [], notes: [`${source} does not exist: POST /predict/ is not measured`] };
  }
  if (instrumentation === 'notrace') {
    return { routes: [], notes: ["the example's /predict/ is @Traced by the example: no @NoTrace() predict route to measure"] };
  }
  // Loaded only when it exists (checked above), so a bench of a checkout without the example still runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = factoryOf(require(modulePath), entry.factory);
  if (factory === undefined) {
    return { routes: [], notes: [`${source} does not export ${entry.factory}(options)`] };
  }
  return { listener: entry.listener(factory({ tracing: instrumentation === 'traced' })), routes: ['predict'], notes: [] };
}
