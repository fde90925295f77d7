import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Resolves when `response` takes more data again, or is closed. */
function writable(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Answers 200 with `pieces` as they are made, one piece per event-loop turn, waiting while the client reads
 * slower than they come; stops if the client goes away. The last piece goes out with the end of the response,
 * so a one-piece answer (most are) is one write with a `Content-Length`.
 */
export async function sendText(response: ServerResponse, contentType: string, pieces: Iterable<string>): Promise<void> {
  response.statusCode = 200;
  response.setHeader('Content-Type', contentType);
  let held: string | undefined;
  for (const piece of pieces) {
    if (held !== undefined) {
      if (response.destroyed) return;
      if (!response.write(held)) await writable(response);
      // A socket that takes everything at once drains within the same tick: yield to other requests anyway.
      await nextTurn();
    }
    held = piece;
  }
  if (!response.destroyed) response.end(held);
}
