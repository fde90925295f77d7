import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { InputError } from './input-error';

/** One field of a multipart/form-data body: its bytes as they arrive, and the type its part declares. */
export interface MultipartField {
  readonly bytes: Readable;
  readonly type: string | undefined;
}

function unreadable(error: Error): InputError {
  return error instanceof InputError ? error : new InputError(400, `the multipart body cannot be read: ${error.message}`);
}

/** The bytes of a file part, its errors (busboy's, for a body cut short) turned into 400s. */
function fileBytes(file: Readable): Readable {
  const bytes = new PassThrough();
  file.on('error', (error: Error) => bytes.destroy(unreadable(error)));
  return file.pipe(bytes);
}

/**
 * The field `name` of the multipart body `body` (a file, as `curl -F X=@data.csv` sends it, or a plain
 * value), as soon as its part begins; other parts are skipped. Rejects with a 400 naming the field when the
 * body ends without it. An error later in the body (the size limit, a malformed part) fails `bytes`.
 */
export function multipartField(body: Readable, headers: IncomingHttpHeaders, name: string): Promise<MultipartField> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // The size limit is the request's (ByteLimit before this parser); a field may be as large as the body.
      parser = busboy({ headers, limits: { fieldSize: Infinity } });
    } catch (error) {
      reject(unreadable(error as Error));
      return;
    }
    let field: Readable | undefined;
    const found = (bytes: Readable, type: string | undefined) => {
      field = bytes;
      resolve({ bytes, type });
    };
    parser.on('file', (fieldName, file, info) => {
      if (fieldName === name && field === undefined) found(fileBytes(file), info.mimeType);
      else file.resume();
    });
    parser.on('field', (fieldName, value) => {
      // A plain value's type is always text/plain: its content decides, as for an undeclared body.
      if (fieldName === name && field === undefined) found(Readable.from([Buffer.from(value)]), undefined);
    });
    parser.on('close', () =>
      reject(new InputError(400, `the multipart body has no field ${name}; send the rows as a file in ${name} (curl -F ${name}=@data.csv)`)),
    );
    pipeline(body, parser, (error) => {
      if (error === null || error === undefined) return;
      const failure = unreadable(error);
      field?.destroy(failure);
      reject(failure);
    });
  });
}
