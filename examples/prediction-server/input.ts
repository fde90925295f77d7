import type { IncomingMessage } from 'node:http';
import { readCsvRows } from './csv-rows';
import type { FeatureRows } from './feature-rows';
import { InputError } from './input-error';
import { readJsonRows } from './json-rows';
import { openPayload } from './payload';

/** What a request's rows are checked against. */
export interface InputLimits {
  /** The feature columns every row must hold. */
  readonly features: readonly string[];
  /** Larger bodies get 413. */
  readonly maxBodyBytes: number;
}

/**
 * The feature rows of a request, read as the body arrives: CSV with a header naming the features, or a JSON
 * array of objects; in the body or in the multipart field `X`. Throws an {@link InputError} naming the
 * problem; the rest of a rejected body is read and dropped, so that the connection can serve the answer.
 */
export async function readRows(request: IncomingMessage, limits: InputLimits): Promise<FeatureRows> {
  try {
    const payload = await openPayload(request, limits.maxBodyBytes);
    const read = payload.format === 'csv' ? readCsvRows : readJsonRows;
    const rows = await read(payload.text, limits.features);
    if (rows.count === 0) throw new InputError(400, 'the input has no rows');
    return rows;
  } catch (error) {
    request.unpipe();
    request.resume();
    throw error;
  }
}
