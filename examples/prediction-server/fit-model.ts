/**
 * Fits the example server's Iris classifier on data/iris.csv and writes iris-model.json beside this file's
 * source. Run after `npm run build:all`: `node build/examples/prediction-server/fit-model.js`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCsv } from './csv';
import { parseRows } from './input';
import { fitModel, type TrainingSet } from './model';

const ROOT = join(__dirname, '..', '..', '..');
export const IRIS_CSV = join(ROOT, 'data', 'iris.csv');
const WEIGHTS_FILE = join(ROOT, 'examples', 'prediction-server', 'iris-model.json');
export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const LABEL = 'species';

/** The labelled rows of a CSV with the four feature columns and a `species` column. */
export function readTrainingSet(path: string): TrainingSet {
  const text = readFileSync(path, 'utf8');
  const [header, ...records] = parseCsv(text);
  const labelColumn = header.indexOf(LABEL);
  if (labelColumn === -1) throw new Error(`${path} has no ${LABEL} column`);
  const species = records.map((record) => record[labelColumn]);
  const classes = [...new Set(species)].sort();
  return {
    features: FEATURES,
    classes,
    rows: parseRows(Buffer.from(text), 'text/csv', FEATURES),
    labels: species.map((label) => classes.indexOf(label)),
  };
}

if (require.main === module) {
  const weights = fitModel(readTrainingSet(IRIS_CSV), undefined, relative(ROOT, IRIS_CSV));
  writeFileSync(WEIGHTS_FILE, `${JSON.stringify(weights, null, 2)}\n`);
  console.log(`wrote ${relative(ROOT, WEIGHTS_FILE)}: training accuracy ${weights.training.accuracy.toFixed(4)}`);
}
