import type { Express, RequestHandler } from 'express';
import { allowHeader, methodNotAllowedAnswer } from './error-answers';
import { logRejection } from './log';

/** What this middleware reads of an Express 4 router layer: its path pattern and, for a route, its methods. */
interface RouterLayer {
  readonly regexp: RegExp;
  readonly route?: { readonly methods: Readonly<Record<string, boolean>> };
}

function routerLayers(app: Express): readonly RouterLayer[] {
  return (app as unknown as { _router?: { stack: RouterLayer[] } })._router?.stack ?? [];
}

/** The methods the app's routes serve on `path`, as an `Allow` header lists them (GET brings HEAD). */
export function allowedMethods(app: Express, path: string): string[] {
  const methods: string[] = [];
  for (const layer of routerLayers(app)) {
    if (layer.route === undefined || !layer.regexp.test(path)) continue;
    for (const [method, served] of Object.entries(layer.route.methods)) if (served && method !== '_all') methods.push(method);
  }
  return allowHeader(methods);
}

/**
 * For a request no route answered: 405 with an `Allow` header when a route has its path but not its method
 * (as DRUM answers `GET /predict/`); otherwise on to the 404. Register after every route.
 */
export function methodNotAllowed(app: Express): RequestHandler {
  return (request, response, next) => {
    if (response.headersSent) return next();
    const allowed = allowedMethods(app, request.path);
    if (allowed.length === 0) return next();
    const answer = methodNotAllowedAnswer(request.method, request.path, allowed);
    response.setHeader('Allow', allowed.join(', '));
    logRejection(request, answer.status, answer.reason);
    response.status(answer.status).json(answer.body);
  };
}
