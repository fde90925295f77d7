import { HttpError } from 'routing-controllers';
import { CsvSyntaxError, parseCsv } from './csv';

/** Bad input: answered with its status and `{"message": "ERROR: ..."}`, as DRUM answers user errors. */
export class InputError extends HttpError {
  constructor(status: number, message: string) {
    super(status, message);
    // HttpError's constructor resets the prototype to its own, which would make instanceof InputError false.
    Object.setPrototypeOf(this, InputError.prototype);
    this.name = 'InputError';
  }
}

type Format = 'csv' | 'json';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);
const JSON_TYPES = new Set(['application/json']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The media type of a `Content-Type` header, lower case, without parameters. */
function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  return type === '' ? undefined : type;
}

// What `curl --data-binary @file` sends when no type is given: the sender did not say, so look at the body.
const UNDECLARED_TYPES = new Set(['application/x-www-form-urlencoded', 'application/octet-stream']);

/** Which parser a body needs: by its media type, or by its first character when the type says nothing. */
export function inputFormat(contentType: string | undefined, text: string): Format {
  const type = mediaType(contentType);
  if (type === undefined || UNDECLARED_TYPES.has(type)) return /^\s*[[{]/.test(text) ? 'json' : 'csv';
  if (CSV_TYPES.has(type)) return 'csv';
  if (JSON_TYPES.has(type) || type.endsWith('+json')) return 'json';
  throw new InputError(415, `unsupported Content-Type ${JSON.stringify(type)}; send text/csv or application/json`);
}

function decodeText(body: unknown): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InputError(400, 'the request body is not valid UTF-8 text');
  }
  if (text.trim() === '') {
    throw new InputError(400, 'the request body is empty; send CSV (text/csv) or JSON rows (application/json)');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function cellNumber(value: unknown, row: number, column: string): number {
  const where = `row ${row}, column ${column}`;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && NUMBER.test(value.trim())) return Number(value.trim());
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw new InputError(400, `${where}: the value is missing`);
  }
  throw new InputError(400, `${where}: ${JSON.stringify(value)} is not a number`);
}

function requireRows(count: number): void {
  if (count === 0) throw new InputError(400, 'the input has no rows');
}

function csvRows(text: string, features: readonly string[]): number[][] {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new InputError(400, `the CSV cannot be parsed: ${error.message}`);
    throw error;
  }
  const header = records[0].map((name) => name.trim());
  const duplicate = header.find((name, index) => header.indexOf(name) !== index && features.includes(name));
  if (duplicate !== undefined) throw new InputError(400, `the CSV header has the column ${duplicate} twice`);
  const columns = features.map((feature) => header.indexOf(feature));
  const missing = features.filter((_, j) => columns[j] === -1);
  if (missing.length > 0) {
    throw new InputError(
      400,
      `the CSV header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; expected ${features.join(', ')}`,
    );
  }
  const data = records.slice(1);
  requireRows(data.length);
  return data.map((record, i) => {
    if (record.length !== header.length) {
      throw new InputError(400, `row ${i + 1} has ${record.length} fields, the header has ${header.length}`);
    }
    return columns.map((column, j) => cellNumber(record[column], i + 1, features[j]));
  });
}

function jsonRows(text: string, features: readonly string[]): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) {
    throw new InputError(400, `JSON input must be an array of row objects, such as [{"${features[0]}": 5.1, ...}]`);
  }
  requireRows(value.length);
  return value.map((row: unknown, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new InputError(400, `row ${i + 1} is not an object with the columns ${features.join(', ')}`);
    }
    return features.map((feature) => cellNumber((row as Record<string, unknown>)[feature], i + 1, feature));
  });
}

/**
 * The feature rows of a request body (a Buffer, or anything else for no body): CSV with a header row naming
 * the features (other columns are ignored), or a JSON array of objects. Throws {@link InputError} naming the
 * problem: empty body, unsupported media type, unreadable CSV or JSON, a missing column, a non-numeric cell.
 */
export function parseRows(body: unknown, contentType: string | undefined, features: readonly string[]): number[][] {
  const text = decodeText(body);
  return inputFormat(contentType, text) === 'csv' ? csvRows(text, features) : jsonRows(text, features);
}
