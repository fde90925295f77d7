import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvSyntaxError, parseCsv } from '../examples/prediction-server/csv';
import { FEATURES, IRIS_CSV, readTrainingSet } from '../examples/prediction-server/fit-model';
import { InputError, inputFormat, parseRows } from '../examples/prediction-server/input';
import { checkWeights, fitModel, IrisModel, type ModelWeights } from '../examples/prediction-server/model';

// The example server's model: the committed weights, the fit that produced them, and input parsing.

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

test('parseCsv: quotes, escaped quotes, CRLF, blank lines; unclosed quotes and stray quotes', (t) => {
  t.deepEqual(parseCsv('a,"b,c"\r\n"say ""hi""",2\n\n"multi\nline",\n'), [
    ['a', 'b,c'],
    ['say "hi"', '2'],
    ['multi\nline', ''],
  ]);
  t.throws(() => parseCsv('a,b\n"open,1\n'), { instanceOf: CsvSyntaxError, message: 'line 3: a quoted field is not closed' });
  t.throws(() => parseCsv('a,b\n1,x"y\n'), { instanceOf: CsvSyntaxError, message: 'line 2: a quote may only open a field' });
  t.throws(() => parseCsv('a,b\n"1"x,2\n'), { instanceOf: CsvSyntaxError, message: 'line 2: a closing quote must end its field' });
});

function rows(body: string, contentType?: string): number[][] {
  return parseRows(Buffer.from(body), contentType, FEATURES);
}

function inputError(t: import('ava').ExecutionContext, run: () => unknown, httpCode: number, message: string): void {
  const error = t.throws(run, { instanceOf: InputError, message });
  t.is(error?.httpCode, httpCode);
}

test('CSV input: columns in any order, extra columns ignored, a BOM and spaces tolerated', (t) => {
  t.deepEqual(rows('\ufeffpetal_width, species ,sepal_length,sepal_width,petal_length\n0.2,setosa,5.1,3.5, 1.4\n', 'text/csv'), [
    [5.1, 3.5, 1.4, 0.2],
  ]);
  t.deepEqual(rows(`${FEATURES.join(',')}\n"1e0",+2,.5,-0\n`, 'text/csv; charset=utf-8'), [[1, 2, 0.5, -0]]);
});

test('JSON input: an array of row objects; numbers or numeric strings', (t) => {
  t.deepEqual(rows('[{"sepal_length":5.1,"sepal_width":"3.5","petal_length":1.4,"petal_width":0.2,"id":7}]', 'application/json'), [
    [5.1, 3.5, 1.4, 0.2],
  ]);
});

test('the format comes from Content-Type, or from the body when the type says nothing', (t) => {
  t.is(inputFormat(undefined, ' [{}]'), 'json');
  t.is(inputFormat('application/x-www-form-urlencoded', 'a,b'), 'csv');
  t.is(inputFormat('application/vnd.api+json', '[]'), 'json');
  t.is(inputFormat('TEXT/CSV; charset=utf-8', '{'), 'csv');
  inputError(t, () => inputFormat('application/xml', '<a/>'), 415, 'unsupported Content-Type "application/xml"; send text/csv or application/json');
});

test('bad input is an InputError naming the problem', (t) => {
  const header = FEATURES.join(',');
  inputError(t, () => rows('', 'text/csv'), 400, 'the request body is empty; send CSV (text/csv) or JSON rows (application/json)');
  inputError(t, () => parseRows(undefined, undefined, FEATURES), 400, 'the request body is empty; send CSV (text/csv) or JSON rows (application/json)');
  inputError(t, () => parseRows(Buffer.from([0xff, 0xfe, 0x00]), 'text/csv', FEATURES), 400, 'the request body is not valid UTF-8 text');
  inputError(t, () => rows(`${header}\n`, 'text/csv'), 400, 'the input has no rows');
  inputError(
    t,
    () => rows('sepal_length,sepal_width,petal_lenght,petal_width\n1,2,3,4\n', 'text/csv'),
    400,
    'the CSV header lacks the column petal_length; expected sepal_length, sepal_width, petal_length, petal_width',
  );
  inputError(t, () => rows(`${header},sepal_width\n1,2,3,4,5\n`, 'text/csv'), 400, 'the CSV header has the column sepal_width twice');
  inputError(t, () => rows(`${header}\n1,2,3,4\n1,2,3\n`, 'text/csv'), 400, 'row 2 has 3 fields, the header has 4');
  inputError(t, () => rows(`${header}\n1,2,abc,4\n`, 'text/csv'), 400, 'row 1, column petal_length: "abc" is not a number');
  inputError(t, () => rows(`${header}\n1,2,,4\n`, 'text/csv'), 400, 'row 1, column petal_length: the value is missing');
  inputError(t, () => rows(`${header}\n1,2,Infinity,4\n`, 'text/csv'), 400, 'row 1, column petal_length: "Infinity" is not a number');
  inputError(t, () => rows(`${header}\n"1,2,3,4\n`, 'text/csv'), 400, 'the CSV cannot be parsed: line 3: a quoted field is not closed');
  inputError(t, () => rows('[{"sepal_length": 1,', 'application/json'), 400, `the body is not valid JSON: ${jsonError('[{"sepal_length": 1,')}`);
  inputError(
    t,
    () => rows('{"sepal_length": 1}', 'application/json'),
    400,
    'JSON input must be an array of row objects, such as [{"sepal_length": 5.1, ...}]',
  );
  inputError(t, () => rows('[]', 'application/json'), 400, 'the input has no rows');
  inputError(
    t,
    () => rows('[[1,2,3,4]]', 'application/json'),
    400,
    'row 1 is not an object with the columns sepal_length, sepal_width, petal_length, petal_width',
  );
  inputError(
    t,
    () => rows('[{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":true}]', 'application/json'),
    400,
    'row 1, column petal_width: true is not a number',
  );
  inputError(
    t,
    () => rows('[{"sepal_length":1,"sepal_width":2,"petal_length":3}]', 'application/json'),
    400,
    'row 1, column petal_width: the value is missing',
  );
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}
