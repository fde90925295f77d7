import { InputError } from './input-error';

/** A decimal number, blanks around it allowed: no hex, no `Infinity`, no `NaN`. */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * The number in one input cell: a finite JSON number, or a string holding a decimal number. Throws an
 * {@link InputError} (400) naming the row (1-based, header excluded) and the column otherwise.
 */
export function cellNumber(value: unknown, row: number, column: string): number {
  // The common case first: a CSV reader calls this for every cell of up to 10 MiB of text.
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const where = `row ${row}, column ${column}`;
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw new InputError(400, `${where}: the value is missing`);
  }
  if (typeof value === 'number') throw new InputError(400, `${where}: the number is too large to be finite`);
  if (typeof value === 'string' && DECIMAL.test(value)) {
    throw new InputError(400, `${where}: ${JSON.stringify(value.trim())} is too large to be finite`);
  }
  throw new InputError(400, `${where}: ${JSON.stringify(value)} is not a number`);
}
