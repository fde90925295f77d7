import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ByteLimit, tooLarge, Utf8Text } from './body-streams';
import { InputError } from './input-error';
import { multipartField } from './multipart';

/** How rows are written: CSV with a header, or a JSON array of row objects. */
export type Format = 'csv' | 'json';

/** The rows' text, chunk by chunk, and its format. */
export interface Payload {
  readonly format: Format;
  readonly text: AsyncIterable<string>;
}

/** The multipart field holding the rows, as DRUM names it. */
export const ROWS_FIELD = 'X';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);
const JSON_TYPES = new Set(['application/json']);
// What `curl --data-binary @file` (and `curl -F X=@file` for most files) sends when no type is given: the
// sender did not say, so the content decides.
const UNDECLARED_TYPES = new Set(['application/x-www-form-urlencoded', 'application/octet-stream']);

/** The media type of a `Content-Type` header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** The format a media type declares; `undefined` when it says nothing; a 415 for any other type. */
export function declaredFormat(type: string | undefined, where = ''): Format | undefined {
  if (type === undefined || UNDECLARED_TYPES.has(type)) return undefined;
  if (CSV_TYPES.has(type)) return 'csv';
  if (JSON_TYPES.has(type) || type.endsWith('+json')) return 'json';
  throw new InputError(415, `unsupported Content-Type ${JSON.stringify(type)}${where}; send text/csv or application/json`);
}

/** The format of a text whose first non-blank character is `first`: JSON opens with `[` or `{`. */
export function sniffedFormat(first: string): Format {
  return first === '[' || first === '{' ? 'json' : 'csv';
}

/**
 * `held`, then the rest of `rest`, one chunk per event-loop turn: however fast the body arrives, other
 * requests (health probes) are served between two chunks. Stopping early stops `rest`.
 */
async function* paced(held: readonly string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  try {
    yield* held;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) {
      await nextTurn();
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

/**
 * The text of `bytes` with its format: declared by `type`, else sniffed from the first non-blank character
 * (read ahead, then handed on). A body of nothing but blanks is a 400 naming `subject`.
 */
async function openText(bytes: Readable, type: string | undefined, subject: string, where = ''): Promise<Payload> {
  const declared = declaredFormat(type, where);
  // Errors of `bytes` (the size limit) reach the reader of the text; the request itself is not destroyed.
  const text: AsyncIterator<string> = pipeline(bytes, new Utf8Text(subject), () => {})[Symbol.asyncIterator]();
  const held: string[] = [];
  let first: string | undefined;
  while (first === undefined) {
    const next = await text.next();
    if (next.done === true) throw new InputError(400, `${subject} is empty; send CSV (text/csv) or JSON rows (application/json)`);
    held.push(next.value);
    first = next.value.trimStart()[0];
  }
  return { format: declared ?? sniffedFormat(first), text: paced(held, text) };
}

/**
 * The rows' text of a request: its body, or the field `X` of a multipart/form-data body, as DRUM accepts
 * them. A body over `maxBodyBytes` gets a 413: at once when Content-Length says so, else as soon as that many
 * bytes have arrived.
 */
export async function openPayload(request: IncomingMessage, maxBodyBytes: number): Promise<Payload> {
  if (Number(request.headers['content-length']) > maxBodyBytes) throw tooLarge(maxBodyBytes);
  const type = mediaType(request.headers['content-type']);
  const body = request.pipe(new ByteLimit(maxBodyBytes));
  request.once('error', (error) => body.destroy(error));
  if (type !== 'multipart/form-data') return openText(body, type, 'the request body');
  const field = await multipartField(body, request.headers, ROWS_FIELD);
  return openText(field.bytes, mediaType(field.type), `the multipart field ${ROWS_FIELD}`, ` in the multipart field ${ROWS_FIELD}`);
}
