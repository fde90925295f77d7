import { setImmediate as nextTurn } from 'node:timers/promises';
import { FeatureRows } from './feature-rows';
import { InputError } from './input-error';

/** Rows scored per event-loop turn: a few milliseconds of work, so that a health probe never waits long. */
const ROWS_PER_TURN = 4096;

/** Scores the row that starts at `offset` of `values` into `out`. */
export type RowScorer = (values: Float64Array, offset: number, out: Float64Array) => void;

/**
 * `score` of every row, as rows of `width` numbers, a slice of rows per event-loop turn. An output that is not
 * finite (inputs near the largest double overflow the model) is a 400 naming the row.
 */
export async function scoreRows(
  rows: FeatureRows,
  width: number,
  score: RowScorer,
): Promise<FeatureRows> {
  const outputs = new FeatureRows(width, rows.count);
  const output = new Float64Array(width);
  for (let start = 0; start < rows.count; start += ROWS_PER_TURN) {
    if (start > 0) await nextTurn();
    const end = Math.min(start + ROWS_PER_TURN, rows.count);
    for (let i = start; i < end; i++) {
      score(rows.values, i * rows.width, output);
      for (let j = 0; j < width; j++) {
        if (!Number.isFinite(output[j])) throw new InputError(400, `row ${i + 1}: the values are too large for the model`);
        outputs.push(output[j]);
      }
    }
  }
  return outputs;
}
