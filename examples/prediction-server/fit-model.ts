/**
 * Fits the example server's Iris classifier on data/iris.csv and writes iris-model.json beside this file's
 * source. Run after `npm run build:all`: `node build/examples/prediction-server/fit-model.js`.
 */
import { parse } from 'papaparse';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cellNumber } from './cells';
import { fitModel, type TrainingSet } from './model';

const ROOT = join(__dirname, '..', '..', '..');
export const IRIS_CSV = join(ROOT, 'data', 'iris.csv');
const WEIGHTS_FILE = join(ROOT, 'examples', 'prediction-server', 'iris-model.json');
export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const LABEL = 'species';

/** The labelled rows of a CSV with the four feature columns and a `species` column. */
export function readTrainingSet(path: string): TrainingSet {
  const { data: records, errors, meta } = parse<Record<string, string>>(readFileSync(path, 'utf8'), {
    header: true,
    delimiter: ',',
    skipEmptyLines: true,
  });
  if (errors.length > 0) throw new Error(`${path}: ${errors[0].message} (row ${errors[0].row})`);
  if (!meta.fields?.includes(LABEL)) throw new Error(`${path} has no ${LABEL} column`);
  const species = records.map((record) => record[LABEL]);
  const classes = [...new Set(species)].sort();
  return {
    features: FEATURES,
    classes,
    rows: records.map((record, i) => FEATURES.map((feature) => cellNumber(record[feature], i + 1, feature))),
    labels: species.map((label) => classes.indexOf(label)),
  };
}

if (require.main === module) {
  const weights = fitModel(readTrainingSet(IRIS_CSV), undefined, relative(ROOT, IRIS_CSV));
  writeFileSync(WEIGHTS_FILE, `${JSON.stringify(weights, null, 2)}\n`);
  console.log(`wrote ${relative(ROOT, WEIGHTS_FILE)}: training accuracy ${weights.training.accuracy.toFixed(4)}`);
}
