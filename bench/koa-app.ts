/**
 * The bench's own controllers on routing-controllers' Koa driver: the app of the Koa row. Koa is loaded only
 * here, after the configuration's tracing is set up: instrumentation-koa patches it as it is required.
 */
import type { RequestListener } from './example-app';

/** `controllers` on a Koa app (koa-bodyparser before the routes, as the Koa driver installs it). */
export async function ownKoaApp(controllers: Function[]): Promise<RequestListener> {
  const [{ default: Koa }, { useKoaServer }] = await Promise.all([import('koa'), import('routing-controllers')]);
  const app = new Koa();
  // Koa would otherwise print every error that reaches it; the bench counts non-2xx instead.
  app.silent = true;
  useKoaServer(app, { controllers, defaultErrorHandler: true });
  return app.callback();
}
