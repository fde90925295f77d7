import { InputError } from './input-error';

/** How much of a wrong header an error message shows. */
const SHOWN_HEADER_CHARS = 200;

/** Separators a CSV file may use instead of the comma, by name. */
const OTHER_DELIMITERS: readonly (readonly [delimiter: string, name: string])[] = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
];

/** The separator a header read as one comma-free field most likely uses instead, by name; or `undefined`. */
export function likelyDelimiter(header: readonly string[]): string | undefined {
  if (header.length !== 1) return undefined;
  const counts = OTHER_DELIMITERS.map(([delimiter, name]) => [header[0].split(delimiter).length - 1, name] as const);
  const [count, name] = counts.reduce((best, candidate) => (candidate[0] > best[0] ? candidate : best));
  return count > 0 ? name : undefined;
}

/** What a header error shows of the header received, and what its separator looks like. */
function received(header: readonly string[]): string {
  const line = header.join(',');
  const shown = line.length > SHOWN_HEADER_CHARS ? `${line.slice(0, SHOWN_HEADER_CHARS)}...` : line;
  const delimiter = likelyDelimiter(header);
  const hint = delimiter === undefined ? '' : `, which looks ${delimiter}-separated; send comma-separated values`;
  return `received ${JSON.stringify(shown)}${hint}`;
}

/**
 * Where each feature's column is in a CSV header (names trimmed; other columns ignored). A header without
 * them, or with one twice, is a 400 showing the header received.
 */
export function featureColumns(header: readonly string[], features: readonly string[]): number[] {
  const names = header.map((name) => name.trim());
  const duplicate = features.find((feature) => names.indexOf(feature) !== names.lastIndexOf(feature));
  if (duplicate !== undefined) throw new InputError(400, `the CSV header has the column ${duplicate} twice`);
  const columns = features.map((feature) => names.indexOf(feature));
  const missing = features.filter((_, j) => columns[j] === -1);
  if (missing.length > 0) {
    throw new InputError(
      400,
      `the CSV header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; ` +
        `expected ${features.join(', ')}; ${received(header)}`,
    );
  }
  return columns;
}
