import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openAiError, type OpenAiError } from './wire';

/**
 * Reads a chat request's body as bytes, or the OpenAI-shaped error of a body the reader refuses (over
 * `maxBodyBytes`, cut off, an unknown Content-Encoding). The reader is body-parser's (`express.raw`), which
 * works on Node's request itself: both drivers read the body alike (gzip and deflate included), inside the
 * action, with Koa's own body parser turned off (see koa-app.ts).
 */
export function chatBodyReader(maxBodyBytes: number) {
  const raw = express.raw({ type: () => true, limit: maxBodyBytes });
  return (request: IncomingMessage, response: ServerResponse): Promise<Buffer | OpenAiError> =>
    new Promise((resolve) => {
      raw(request as express.Request, response as express.Response, (error?: unknown) => {
        if (error === undefined) {
          resolve((request as { body?: unknown }).body as Buffer);
          return;
        }
        const { status, type, message } = error as { status?: number; type?: string; message?: string };
        const text = type === 'entity.too.large' ? `The request body is larger than the limit of ${maxBodyBytes} bytes.` : String(message);
        resolve(openAiError(typeof status === 'number' ? status : 400, text));
      });
    });
}
