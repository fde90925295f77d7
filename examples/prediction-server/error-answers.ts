/**
 * DRUM's error answers, `{"message": "ERROR: ..."}`, as both apps (Express and Koa) send them: what to answer
 * is decided here, how to send it by each driver's own module.
 */

/** One error answer: its status, its body, and the reason the log line gives. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: { readonly message: string };
  readonly reason: string;
}

type HttpFailure = { httpCode?: unknown; status?: unknown; statusCode?: unknown; message?: unknown };

/** The 4xx status an error carries (an HttpError's, or a framework's), or `undefined`. */
export function clientErrorStatus(error: unknown): number | undefined {
  const failure = (error ?? {}) as HttpFailure;
  const status = [failure.httpCode, failure.status, failure.statusCode].find((value) => typeof value === 'number');
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function clientErrorMessage(error: HttpFailure): string {
  return typeof error.message === 'string' && error.message !== '' ? error.message : 'bad request';
}

/** An action's error: its 4xx status and message, else 500 without details (the log has them). */
export function errorAnswer(error: unknown): ErrorAnswer {
  const status = clientErrorStatus(error);
  if (status === undefined) return { status: 500, body: { message: 'ERROR: internal server error' }, reason: 'unexpected error' };
  const message = clientErrorMessage(error as HttpFailure);
  return { status, body: { message: `ERROR: ${message}` }, reason: message };
}

/** A request no route has. */
export function notFoundAnswer(method: string, path: string): ErrorAnswer {
  return { status: 404, body: { message: `ERROR: no route for ${method} ${path}` }, reason: 'no route' };
}

/**
 * A route's path with a method it does not serve, as DRUM answers `GET /predict/`; `allowed` as the `Allow`
 * header lists it ({@link allowHeader}).
 */
export function methodNotAllowedAnswer(method: string, path: string, allowed: readonly string[]): ErrorAnswer {
  const use = `use ${allowed.join(' or ')}`;
  return { status: 405, body: { message: `ERROR: ${method} is not allowed on ${path}; ${use}` }, reason: use };
}

/** The methods of the routes of a path, as `Allow` lists them: upper case, sorted, HEAD wherever GET is. */
export function allowHeader(methods: Iterable<string>): string[] {
  const allowed = new Set([...methods].map((method) => method.toUpperCase()));
  if (allowed.has('GET')) allowed.add('HEAD');
  return [...allowed].sort();
}
