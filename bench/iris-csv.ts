/** Large CSV bodies made of data/iris.csv: what a DRUM user sends at the example server's size limit. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const IRIS_CSV = join(__dirname, '..', '..', 'data', 'iris.csv');

/** A CSV of the four Iris feature columns, rows of data/iris.csv repeated up to `bytes`, and each row's species. */
export function largeIrisCsv(bytes: number): { text: string; species: string[] } {
  const [header, ...records] = readFileSync(IRIS_CSV, 'utf8').trim().split('\n');
  const features = (line: string) => `${line.split(',').slice(0, 4).join(',')}\n`;
  const parts = [features(header)];
  const species: string[] = [];
  let length = parts[0].length;
  for (let i = 0; length + features(records[i % records.length]).length <= bytes; i++) {
    const record = records[i % records.length];
    parts.push(features(record));
    species.push(record.split(',')[4]);
    length += features(record).length;
  }
  return { text: parts.join(''), species };
}
