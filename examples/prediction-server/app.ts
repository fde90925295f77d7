import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { useExpressServer } from 'routing-controllers';
import { instrumentControllers } from 'drum-otel';
import { defineChatControllers } from './chat/controllers';
import type { ChatOptions } from './chat/completions';
import { defineControllers } from './controllers';
import { defineDirectAccessControllers } from './direct-access/controllers';
import type { DirectAccessSettings } from './direct-access/settings';
import { methodNotAllowed } from './method-not-allowed';
import { logRejection } from './log';
import { IrisModel, checkWeights } from './model';
import weights from './iris-model.json';

/** Options of {@link createPredictionApp}. */
export interface PredictionAppOptions {
  /** Whether the controllers get spans (`instrumentControllers`); `false` costs nothing. Default: `true`. */
  readonly tracing?: boolean;
  /** DRUM's URL_PREFIX: the route prefix of every route, e.g. `/drum`. Default: none. */
  readonly urlPrefix?: string;
  /** Larger request bodies get 413. Default: 10 MiB. */
  readonly maxBodyBytes?: number;
  /** Default: the committed Iris model. */
  readonly model?: IrisModel;
  /** The chat routes' token delay and generation reports. */
  readonly chat?: ChatOptions;
  /** The direct-access routes' backend (DIRECT_ACCESS_URL) and timeout. Default: no backend (DRUM's 400). */
  readonly directAccess?: DirectAccessSettings;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The committed model, checked once. */
export function loadIrisModel(): IrisModel {
  return new IrisModel(checkWeights(weights));
}

function packageVersion(): string {
  // The package's own manifest, through its exports map: the version `/info/` reports as drumOtelVersion.
  return (JSON.parse(readFileSync(require.resolve('drum-otel/package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The DRUM-compatible prediction app, not yet listening: what `main.ts` serves and what a benchmark can build
 * in-process. Register OpenTelemetry (`setupOtel`) before or after; spans go to the global provider.
 */
export function createPredictionApp(options: PredictionAppOptions = {}): Express {
  const { tracing = true, urlPrefix = '', maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const model = options.model ?? loadIrisModel();
  const controllers = [
    ...defineControllers({ model, maxBodyBytes, version: packageVersion(), chat: true }),
    ...defineChatControllers({ ...options.chat, model, maxBodyBytes }),
    ...defineDirectAccessControllers({ backend: undefined, timeoutMs: 3_600_000, ...options.directAccess, urlPrefix }),
  ];
  const app = express();
  app.disable('x-powered-by');
  useExpressServer(app, {
    routePrefix: urlPrefix,
    // instrumentControllers must see the same prefix to name the routes as Express matches them.
    controllers: tracing ? instrumentControllers(controllers, { routePrefix: urlPrefix }) : controllers,
    defaultErrorHandler: false,
    classTransformer: false,
    validation: false,
  });
  app.use(methodNotAllowed(app));
  app.use(notFound);
  app.use(errorAnswer);
  return app;
}

const notFound: RequestHandler = (request, response, next) => {
  // routing-controllers calls next() after an action has answered.
  if (response.headersSent) return next();
  logRejection(request, 404, 'no route');
  response.status(404).json({ message: `ERROR: no route for ${request.method} ${request.path}` });
};

type HttpFailure = { httpCode?: unknown; status?: unknown; statusCode?: unknown; message?: unknown };

/** The 4xx status an error carries (an HttpError's, or Express's), or `undefined`. */
export function clientErrorStatus(error: unknown): number | undefined {
  const failure = (error ?? {}) as HttpFailure;
  const status = [failure.httpCode, failure.status, failure.statusCode].find((value) => typeof value === 'number');
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function clientErrorMessage(error: HttpFailure): string {
  return typeof error.message === 'string' && error.message !== '' ? error.message : 'bad request';
}

/** DRUM's error answer: `{"message": "ERROR: ..."}` with the error's 4xx status, else 500 without details. */
const errorAnswer: ErrorRequestHandler = (error, request, response, _next) => {
  if (response.headersSent) return;
  const status = clientErrorStatus(error);
  if (status === undefined) {
    logRejection(request, 500, 'unexpected error', error);
    response.status(500).json({ message: 'ERROR: internal server error' });
    return;
  }
  const message = clientErrorMessage(error as HttpFailure);
  logRejection(request, status, message);
  response.status(status).json({ message: `ERROR: ${message}` });
};
