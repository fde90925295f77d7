/**
 * The example prediction server (examples/prediction-server/app.ts) as part of the bench server,
 * for its `POST /predict/`. Loaded at run time from build/ (after the configuration's tracing is set up), so
 * that the bench compiles and runs whether or not the example exists.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Instrumentation } from './configs';

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface ExampleApp {
  /** The example's Express app; absent when the example cannot be used in this configuration. */
  readonly listener?: RequestListener;
  readonly routes: readonly string[];
  readonly notes: readonly string[];
}

interface ExampleModule {
  createPredictionApp(options?: { tracing?: boolean }): RequestListener;
}

const EXAMPLE_MODULE = join(__dirname, '..', 'examples', 'prediction-server', 'app.js');

function isExampleModule(value: unknown): value is ExampleModule {
  return typeof (value as Partial<ExampleModule> | null)?.createPredictionApp === 'function';
}

/**
 * The example app as a configuration needs it: instrumented by its own `tracing` option where drum-otel
 * traces, plain in the others (`auto` instruments it from outside, `floor` wraps it). The example's predict
 * actions are @Traced by the example itself, so `notrace` has no @NoTrace() predict route to measure.
 */
export function loadExampleApp(instrumentation: Instrumentation): ExampleApp {
  if (!existsSync(EXAMPLE_MODULE)) {
    return { routes: [], notes: ['examples/prediction-server/app.ts does not exist: POST /predict/ is not measured'] };
  }
  if (instrumentation === 'notrace') {
    return { routes: [], notes: ["the example's /predict/ is @Traced by the example: no @NoTrace() predict route to measure"] };
  }
  // Loaded only when it exists (checked above), so a bench of a checkout without the example still runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module: unknown = require(EXAMPLE_MODULE);
  if (!isExampleModule(module)) {
    return { routes: [], notes: ['examples/prediction-server/app.ts does not export createPredictionApp(options)'] };
  }
  return { listener: module.createPredictionApp({ tracing: instrumentation === 'traced' }), routes: ['predict'], notes: [] };
}
