import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from './input-error';

/** The 413 of a request body over `limit` bytes. */
export function tooLarge(limit: number): InputError {
  return new InputError(413, `the request body is larger than the limit of ${limit} bytes`);
}

/** Passes bytes through until more than `limit` have passed, then fails with a 413 before buffering more. */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(tooLarge(this.limit));
    else done(null, chunk);
  }
}

/**
 * Bytes to UTF-8 text chunks (a character split across two chunks stays whole; a leading BOM is dropped);
 * bytes that are not UTF-8 fail with a 400 naming `subject`.
 */
export class Utf8Text extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly subject: string) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.decode(chunk, true, done)) done();
  }

  override _flush(done: TransformCallback): void {
    if (this.decode(undefined, false, done)) done();
  }

  /** Pushes the decoded text; on bytes that are not UTF-8 fails the stream and returns false. */
  private decode(chunk: Buffer | undefined, more: boolean, done: TransformCallback): boolean {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: more });
    } catch {
      done(new InputError(400, `${this.subject} is not valid UTF-8 text`));
      return false;
    }
    if (text !== '') this.push(text);
    return true;
  }
}
