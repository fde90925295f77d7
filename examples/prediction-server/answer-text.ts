import type { FeatureRows } from './feature-rows';

/** Rows per piece of an answer: each piece is written in its own event-loop turn. */
const ROWS_PER_PIECE = 4096;

/** `head`, the text of each row (`separator` between them), `tail`, in pieces of {@link ROWS_PER_PIECE} rows. */
function* pieces(count: number, rowText: (index: number) => string, head: string, separator: string, tail: string): Generator<string> {
  let piece = head;
  for (let i = 0; i < count; i++) {
    piece += (i > 0 ? separator : '') + rowText(i);
    if ((i + 1) % ROWS_PER_PIECE === 0) {
      yield piece;
      piece = '';
    }
  }
  yield piece + tail;
}

/**
 * `{"<member>":[{"<key 0>":v,"<key 1>":v,...},...]}`, what `JSON.stringify` makes of one object per row, in
 * pieces (the values are finite: a number's JSON is its string).
 */
export function jsonObjectRows(member: string, rows: FeatureRows, keys: readonly string[]): Generator<string> {
  const names = keys.map((key, j) => `${j === 0 ? '{' : ','}${JSON.stringify(key)}:`);
  const rowText = (index: number) => {
    const values = rows.blockOf(index);
    const offset = rows.offsetOf(index);
    let text = '';
    for (let j = 0; j < rows.width; j++) text += names[j] + values[offset + j];
    return `${text}}`;
  };
  return pieces(rows.count, rowText, `{${JSON.stringify(member)}:[`, ',', ']}');
}

/** A CSV of one column, `header`, then `label(index)` of each row, in pieces. */
export function csvColumn(header: string, count: number, label: (index: number) => string): Generator<string> {
  return pieces(count, (index) => `${label(index)}\n`, `${header}\n`, '', '');
}
