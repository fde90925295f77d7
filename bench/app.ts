/**
 * The app every configuration serves: the bench's own controllers plus, when it exists, the example
 * prediction server mounted beside them. server.ts loads this file only after the configuration's tracing
 * is set up, because it loads Express (which instrumentation-express must see being required).
 */
import 'reflect-metadata';
import express, { type RequestHandler } from 'express';
import { Body, Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import type { Framework, Instrumentation } from './configs';
import { loadExampleApp, type RequestListener } from './example-app';

/** The worst case for relative overhead: an action that does nothing but return its body. */
@JsonController()
export class EchoController {
  @Post('/echo/')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

/** Never driven: in `notrace` it keeps a traced action on the app beside the @NoTrace() echo. */
@JsonController()
export class StatusController {
  @Get('/status/')
  status(): { ok: boolean } {
    return { ok: true };
  }
}

/** Instruments the bench controllers; drum-otel is loaded only here, so `baseline` never loads it. */
async function instrumentBenchControllers(use: Instrumentation): Promise<Function[]> {
  const controllers: Function[] = [EchoController, StatusController];
  if (use === 'none') return controllers;
  const { instrumentControllers, NoTrace } = await import('drum-otel');
  // Applied as a function rather than written on the class: the same class serves every configuration.
  if (use === 'notrace') NoTrace()(EchoController);
  return instrumentControllers(controllers);
}

export interface BenchApp {
  /** The server's request listener: the bench's own app, or the example's for its routes. */
  readonly listener: RequestListener;
  /** Route names (as bench/routes.ts names them) this app serves. */
  readonly routes: readonly string[];
  /** Why a route is missing, for the report. */
  readonly notes: readonly string[];
}

type Middleware = (request: unknown, response: unknown, next: () => void) => void;

/** The bench's own Express app; `beforeRoutes` (the `floor` middleware) runs first for every request. */
function ownApp(controllers: Function[], beforeRoutes: Middleware | undefined): RequestListener {
  const app = express();
  // Express would otherwise log every error routing-controllers hands it; the bench counts non-2xx instead.
  app.set('env', 'production');
  if (beforeRoutes !== undefined) app.use(beforeRoutes as RequestHandler);
  useExpressServer(app, { controllers, defaultErrorHandler: true });
  return app as unknown as RequestListener;
}

/** The bench's own app on `framework`; the Koa row has no `beforeRoutes` (its configurations need none). */
async function ownFrameworkApp(framework: Framework, instrumentation: Instrumentation, beforeRoutes: Middleware | undefined): Promise<RequestListener> {
  const controllers = await instrumentBenchControllers(instrumentation);
  if (framework === 'express') return ownApp(controllers, beforeRoutes);
  const { ownKoaApp } = await import('./koa-app');
  return ownKoaApp(controllers);
}

/**
 * The listener of a configuration's server. The example app is not mounted inside the bench's (a nested Express app
 * would slow every echo request); requests are dispatched by path instead. The example's routes are built
 * by its factory, so `floor` enters its context around the example app instead of inside it.
 */
export async function buildBenchApp(instrumentation: Instrumentation, beforeRoutes?: Middleware, framework: Framework = 'express'): Promise<BenchApp> {
  const own = await ownFrameworkApp(framework, instrumentation, beforeRoutes);
  const example = loadExampleApp(instrumentation, framework);
  if (example.listener === undefined) return { listener: own, routes: ['echo'], notes: example.notes };
  const exampleListener = example.listener;
  const predict: RequestListener =
    beforeRoutes === undefined ? exampleListener : (request, response) => beforeRoutes(request, response, () => exampleListener(request, response));
  const listener: RequestListener = (request, response) => (request.url?.startsWith('/echo/') ? own : predict)(request, response);
  return { listener, routes: ['echo', ...example.routes], notes: example.notes };
}
