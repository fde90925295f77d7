import 'reflect-metadata';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { useExpressServer } from 'routing-controllers';
import { predictionRouting, type PredictionAppOptions } from './app-routing';
import { errorAnswer, notFoundAnswer } from './error-answers';
import { logRejection } from './log';
import { methodNotAllowed } from './method-not-allowed';

export { DEFAULT_MAX_BODY_BYTES, loadIrisModel, type PredictionAppOptions } from './app-routing';

/**
 * The DRUM-compatible prediction app on Express, not yet listening: what `main.ts` serves and what a benchmark
 * can build in-process. Register OpenTelemetry (`setupOtel`) before or after; spans go to the global provider.
 */
export function createPredictionApp(options: PredictionAppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  useExpressServer(app, predictionRouting(options, 'express'));
  app.use(methodNotAllowed(app));
  app.use(notFound);
  app.use(errorAnswers);
  return app;
}

const notFound: RequestHandler = (request, response, next) => {
  // routing-controllers calls next() after an action has answered.
  if (response.headersSent) return next();
  const answer = notFoundAnswer(request.method, request.path);
  logRejection(request, answer.status, answer.reason);
  response.status(answer.status).json(answer.body);
};

/** DRUM's error answer: `{"message": "ERROR: ..."}` with the error's 4xx status, else 500 without details. */
const errorAnswers: ErrorRequestHandler = (error, request, response, _next) => {
  if (response.headersSent) return;
  const answer = errorAnswer(error);
  logRejection(request, answer.status, answer.reason, answer.status >= 500 ? error : undefined);
  response.status(answer.status).json(answer.body);
};
