import 'reflect-metadata';
import Koa, { type Context, type Next } from 'koa';
import { useKoaServer } from 'routing-controllers';
import { predictionRouting, type PredictionAppOptions } from './app-routing';
import { allowHeader, errorAnswer, methodNotAllowedAnswer, notFoundAnswer, type ErrorAnswer } from './error-answers';
import { logRejection } from './log';

/** What @koa/router leaves on the context: the layers whose path matched, and the route it ran (if any). */
interface RoutedContext extends Context {
  matched?: readonly { readonly methods: readonly string[] }[];
  _matchedRoute?: string | RegExp;
}

/**
 * The DRUM-compatible prediction app on Koa (routing-controllers' Koa driver): the routes, answers and spans of
 * the Express app (`createPredictionApp`), but for `drumServer` in `/info/` and route templates without their
 * trailing slash. Serve `app.callback()`.
 */
export function createKoaPredictionApp(options: PredictionAppOptions = {}): Koa {
  const app = new Koa();
  app.use(errorAnswers);
  app.use(unroutedAnswers);
  app.use(streamedBodies);
  useKoaServer(app, predictionRouting(options, 'koa'));
  return app;
}

function send(context: Context, answer: ErrorAnswer, error?: unknown): void {
  logRejection(context.req, answer.status, answer.reason, error);
  context.status = answer.status;
  context.body = answer.body;
}

/**
 * The driver installs koa-bodyparser before every route; the actions read bodies themselves, as they arrive
 * (rows streamed, direct access piped on, chat through body-parser's reader), so it must leave them unread.
 */
async function streamedBodies(context: Context, next: Next): Promise<void> {
  (context as { disableBodyParser?: boolean }).disableBodyParser = true;
  await next();
}

/**
 * For a request no action ran for: 405 with `Allow` when a route has its path (as DRUM answers `GET /predict/`),
 * else DRUM's 404. @koa/router's own `allowedMethods()` answers an empty 405, or 200 to OPTIONS: replaced.
 */
async function unroutedAnswers(context: RoutedContext, next: Next): Promise<void> {
  await next();
  if (context._matchedRoute !== undefined || context.res.headersSent) return;
  const allowed = allowHeader((context.matched ?? []).flatMap((layer) => layer.methods));
  if (allowed.length === 0) return send(context, notFoundAnswer(context.method, context.path));
  context.set('Allow', allowed.join(', '));
  send(context, methodNotAllowedAnswer(context.method, context.path, allowed));
}

/** DRUM's error answer: `{"message": "ERROR: ..."}` with the error's 4xx status, else 500 without details. */
async function errorAnswers(context: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    if (context.res.headersSent) return;
    const answer = errorAnswer(error);
    send(context, answer, answer.status >= 500 ? error : undefined);
  }
}
