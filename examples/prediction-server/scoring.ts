import { setImmediate as nextTurn } from 'node:timers/promises';
import { BLOCK_ROWS, FeatureRows } from './feature-rows';
import { InputError } from './input-error';

/** Scores the row that starts at `offset` of `values` into `out`. */
export type RowScorer = (values: Float64Array, offset: number, out: Float64Array) => void;

/**
 * `score` of every row, as rows of `width` numbers, a block of rows per event-loop turn. An output that is not
 * finite (inputs near the largest double overflow the model) is a 400 naming the row.
 */
export async function scoreRows(
  rows: FeatureRows,
  width: number,
  score: RowScorer,
): Promise<FeatureRows> {
  const outputs = new FeatureRows(width);
  const output = new Float64Array(width);
  // A block per event-loop turn: a few milliseconds of work, so that a health probe never waits long.
  for (let start = 0; start < rows.count; start += BLOCK_ROWS) {
    if (start > 0) await nextTurn();
    const end = Math.min(start + BLOCK_ROWS, rows.count);
    for (let i = start; i < end; i++) {
      score(rows.blockOf(i), rows.offsetOf(i), output);
      for (let j = 0; j < width; j++) {
        if (!Number.isFinite(output[j])) throw new InputError(400, `row ${i + 1}: the values are too large for the model`);
        outputs.push(output[j]);
      }
    }
  }
  return outputs;
}
