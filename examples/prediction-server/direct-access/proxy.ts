import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { requestTarget } from '../request-target';
import { failDirectAccess, NOT_SUPPORTED_MESSAGE } from './answers';
import { forwardedRequestHeaders, returnedResponseHeaders } from './headers';
import type { DirectAccessSettings } from './settings';
import { backendUrl } from './target';

/** What the proxy needs besides the settings. */
export interface DirectAccessOptions extends DirectAccessSettings {
  /** URL_PREFIX, which the request's path starts with. Default: none. */
  readonly urlPrefix?: string;
}

/**
 * Forwards direct-access requests to the backend, streaming both ways: the request body is piped to the
 * backend as it arrives and the backend's answer to the client chunk by chunk (server-sent events included),
 * so neither is held in memory; a client that goes away destroys the backend request. `node:http` rather than
 * `fetch`: it leaves the answer's `Content-Encoding` alone, follows no redirect, and its CLIENT span (with
 * `traceparent` sent on) comes from the instrumentation setupOtel registers.
 */
export class DirectAccessProxy {
  constructor(private readonly options: DirectAccessOptions) {}

  /** Answers one request; resolves once the answer is out, cut, or the client has left. */
  forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { backend, timeoutMs, urlPrefix = '' } = this.options;
    if (backend === undefined) {
      failDirectAccess(response, 400, NOT_SUPPORTED_MESSAGE);
      return Promise.resolve();
    }
    const target = backendUrl(backend, requestTarget(request), urlPrefix);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        resolve();
      };
      const upstream: ClientRequest = send(target, { method: request.method, headers: forwardedRequestHeaders(request.headers) });
      // The backend may stay silent this long, before its answer and between two chunks of it (DRUM's timeout).
      upstream.setTimeout(timeoutMs, () => {
        if (response.writableFinished) return;
        failDirectAccess(response, 504, `ERROR: the direct-access backend sent nothing for ${timeoutMs / 1000} s`);
        upstream.destroy();
        done();
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (!response.writableEnded) failDirectAccess(response, 502, `ERROR: the direct-access backend cannot be reached (${error.code ?? error.message})`);
        done();
      });
      upstream.on('response', (answer: IncomingMessage) => relay(answer, response, done));
      // The client left (or its request broke off) before the answer was complete: stop the backend's work.
      response.on('close', () => {
        if (!response.writableFinished) upstream.destroy();
        done();
      });
      request.pipe(upstream);
    });
  }
}

/** Sends the backend's status, headers and body on unchanged, chunk by chunk. */
function relay(answer: IncomingMessage, response: ServerResponse, done: () => void): void {
  response.writeHead(answer.statusCode ?? 502, answer.statusMessage, returnedResponseHeaders(answer.rawHeaders, answer.headers.connection));
  // Server-sent events must leave at once, not when Node's first write would have sent the head.
  response.flushHeaders();
  answer.pipe(response);
  answer.on('error', () => {
    // The backend's connection broke mid-answer: the client's is cut too, so it cannot take it as complete.
    response.destroy();
    done();
  });
  response.on('finish', done);
}
