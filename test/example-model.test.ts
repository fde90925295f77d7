import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IRIS_CSV, readTrainingSet } from '../examples/prediction-server/fit-model';
import { argmax, checkWeights, fitModel, IrisModel, type ModelWeights } from '../examples/prediction-server/model';

// The example server's model: the committed weights and the fit that produced them.

const WEIGHTS_FILE = join(__dirname, '..', '..', 'examples', 'prediction-server', 'iris-model.json');
const committed = JSON.parse(readFileSync(WEIGHTS_FILE, 'utf8')) as ModelWeights;
const model = new IrisModel(committed);
const training = readTrainingSet(IRIS_CSV);

test('data/iris.csv: 150 rows, 50 of each species, four features', (t) => {
  t.is(training.rows.length, 150);
  t.deepEqual(training.classes, ['setosa', 'versicolor', 'virginica']);
  t.deepEqual([0, 1, 2].map((k) => training.labels.filter((label) => label === k).length), [50, 50, 50]);
  t.deepEqual(training.rows[0], [5.1, 3.5, 1.4, 0.2]);
  t.deepEqual(training.rows[149], [5.9, 3.0, 5.1, 1.8]);
});

test('known rows are classified as their species', (t) => {
  const rows = [
    [5.1, 3.5, 1.4, 0.2], // row 1: setosa
    [7.0, 3.2, 4.7, 1.4], // row 51: versicolor
    [6.3, 3.3, 6.0, 2.5], // row 101: virginica
    [5.0, 3.4, 1.5, 0.2],
    [5.7, 2.8, 4.1, 1.3],
    [6.7, 3.0, 5.2, 2.3],
  ];
  t.deepEqual(model.labels(rows), ['setosa', 'versicolor', 'virginica', 'setosa', 'versicolor', 'virginica']);
});

test('the committed model classifies at least 97% of the training data correctly', (t) => {
  const predicted = model.labels(training.rows);
  const correct = predicted.filter((label, i) => label === training.classes[training.labels[i]]).length;
  t.true(correct >= 146, `${correct} of 150`);
  t.is(committed.training.accuracy, correct / 150);
});

test('probabilities: one {label: probability} per row, each summing to 1', (t) => {
  const predictions = model.predict(training.rows);
  t.is(predictions.length, 150);
  for (const prediction of predictions) {
    t.deepEqual(Object.keys(prediction), ['setosa', 'versicolor', 'virginica']);
    const sum = Object.values(prediction).reduce((total, p) => total + p, 0);
    t.true(Math.abs(sum - 1) < 1e-12, `sum ${sum}`);
    t.true(Object.values(prediction).every((p) => p > 0 && p < 1));
  }
});

test('the fit is deterministic and reproduces the committed weights', (t) => {
  const refitted = fitModel(training, undefined, 'data/iris.csv');
  t.deepEqual(JSON.parse(JSON.stringify(refitted)), committed);
});

test('damaged weights are refused at load', (t) => {
  t.throws(() => checkWeights({ ...committed, intercepts: [1, 2] }), {
    message: 'the model weights are not a multinomial logistic regression of matching shapes',
  });
  t.throws(() => new IrisModel({ ...committed, scale: [1, 0, 1, 1] }));
});

test('probabilitiesInto and transformInto read the row at an offset of packed values and allocate no result', (t) => {
  const packed = Float64Array.from([9, 9, 5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6.0, 2.5]);
  const out = new Float64Array(3);
  model.probabilitiesInto(packed, 6, out);
  t.deepEqual([...out], model.probabilities([6.3, 3.3, 6.0, 2.5]));
  t.is(argmax(out), 2);
  const standardized = new Float64Array(4);
  model.transformInto(packed, 2, standardized);
  t.deepEqual([...standardized], [5.1, 3.5, 1.4, 0.2].map((value, j) => (value - committed.mean[j]) / committed.scale[j]));
});

test('argmax: the first of equal values wins', (t) => {
  t.is(argmax([0.2, 0.5, 0.5]), 1);
  t.is(argmax(Float64Array.of(-1)), 0);
});
