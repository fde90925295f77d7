import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { csvColumn, jsonObjectRows } from '../examples/prediction-server/answer-text';
import { cellNumber, plainDecimal } from '../examples/prediction-server/cells';
import { featureColumns, likelyDelimiter } from '../examples/prediction-server/csv-header';
import { readCsvRows } from '../examples/prediction-server/csv-rows';
import { BLOCK_ROWS, FeatureRows } from '../examples/prediction-server/feature-rows';
import { FEATURES } from '../examples/prediction-server/fit-model';
import { InputError } from '../examples/prediction-server/input-error';
import { readJsonRows } from '../examples/prediction-server/json-rows';
import { declaredFormat, mediaType, sniffedFormat } from '../examples/prediction-server/payload';
import { scoreRows } from '../examples/prediction-server/scoring';
import { sendText } from '../examples/prediction-server/send-text';

// The example server's input reading and answer writing, without HTTP: each piece on its own.

const HEADER = FEATURES.join(',');

function unpacked(rows: FeatureRows): number[][] {
  return Array.from({ length: rows.count }, (_, i) => [...rows.blockOf(i).subarray(rows.offsetOf(i), rows.offsetOf(i) + rows.width)]);
}

async function csvRows(...chunks: string[]): Promise<number[][]> {
  return unpacked(await readCsvRows(Readable.from(chunks), FEATURES));
}

async function jsonRows(text: string): Promise<number[][]> {
  return unpacked(await readJsonRows(Readable.from([text]), FEATURES));
}

async function inputError(t: ExecutionContext, reading: Promise<unknown>, httpCode: number, message: string): Promise<void> {
  const error = await t.throwsAsync(reading, { instanceOf: InputError, message });
  t.is(error?.httpCode, httpCode);
}

test('CSV: columns in any order, extra columns ignored, spaces and quotes around numbers, CRLF, blank lines', async (t) => {
  t.deepEqual(await csvRows('petal_width, species ,sepal_length,sepal_width,petal_length\r\n0.2,setosa,5.1,3.5, 1.4\r\n\r\n'), [
    [5.1, 3.5, 1.4, 0.2],
  ]);
  t.deepEqual(await csvRows(`${HEADER}\n"1e0",+2,.5,-0\n`), [[1, 2, 0.5, -0]]);
});

test('CSV read chunk by chunk: a row, a number and a quoted field split across chunks are read whole', async (t) => {
  t.deepEqual(await csvRows('sepal_len', `gth,sepal_width,petal_length,petal_width,note\n1.2`, '5,2,3,4,"a\n', 'b"\n5,6,7,8,x\n'), [
    [1.25, 2, 3, 4],
    [5, 6, 7, 8],
  ]);
});

test('CSV header errors show the header received, and the separator it looks like', async (t) => {
  await inputError(
    t,
    csvRows('a,b\n1,2\n'),
    400,
    `the CSV header lacks the columns sepal_length, sepal_width, petal_length, petal_width; expected ${FEATURES.join(', ')}; received "a,b"`,
  );
  await inputError(
    t,
    csvRows('sepal_length;sepal_width;petal_length;petal_width\n1;2;3;4\n'),
    400,
    `the CSV header lacks the columns sepal_length, sepal_width, petal_length, petal_width; expected ${FEATURES.join(', ')}; ` +
      'received "sepal_length;sepal_width;petal_length;petal_width", which looks semicolon-separated; send comma-separated values',
  );
  await inputError(
    t,
    csvRows('sepal_length,sepal_width,petal_lenght,petal_width\n1,2,3,4\n'),
    400,
    `the CSV header lacks the column petal_length; expected ${FEATURES.join(', ')}; received "sepal_length,sepal_width,petal_lenght,petal_width"`,
  );
  await inputError(t, csvRows(`${HEADER},sepal_width\n1,2,3,4,5\n`), 400, 'the CSV header has the column sepal_width twice');
});

test('likelyDelimiter: the most frequent other separator of a header read as one field', (t) => {
  t.is(likelyDelimiter(['a\tb\tc']), 'tab');
  t.is(likelyDelimiter(['a|b;c|d']), 'pipe');
  t.is(likelyDelimiter(['a;b']), 'semicolon');
  t.is(likelyDelimiter(['ab']), undefined);
  t.is(likelyDelimiter(['a;b', 'c']), undefined, 'a header with commas is comma-separated');
  t.deepEqual(featureColumns([' petal_width', 'sepal_length', 'x', 'sepal_width', 'petal_length'], FEATURES), [1, 3, 4, 0]);
});

test('CSV cells: each problem is a 400 naming the data row and the column', async (t) => {
  await inputError(t, csvRows(`${HEADER}\n1,2,3,4\n1,2,3\n`), 400, 'row 2 has 3 fields, the header has 4');
  await inputError(t, csvRows(`${HEADER}\n1,2,abc,4\n`), 400, 'row 1, column petal_length: "abc" is not a number');
  await inputError(t, csvRows(`${HEADER}\n1,2,,4\n`), 400, 'row 1, column petal_length: the value is missing');
  await inputError(t, csvRows(`${HEADER}\n1,2,3,4\n1,2,Infinity,4\n`), 400, 'row 2, column petal_length: "Infinity" is not a number');
  await inputError(t, csvRows(`${HEADER}\n1,2,3,4\n1e400,2,3,4\n`), 400, 'row 2, column sepal_length: "1e400" is too large to be finite');
});

test('unreadable CSV: a 400 naming the row, counted across chunks', async (t) => {
  await inputError(t, csvRows(`${HEADER}\n"1,2,3,4\n`), 400, 'the CSV cannot be parsed: row 1: Quoted field unterminated');
  await inputError(
    t,
    csvRows(`${HEADER}\n1,2,3,4\n5,6,7,8\n`, '1,2,3,4\n"5,6,7,8\n'),
    400,
    'the CSV cannot be parsed: row 4: Quoted field unterminated',
  );
  await inputError(t, csvRows('"sepal_length,sepal_width\n'), 400, 'the CSV cannot be parsed: the header: Quoted field unterminated');
});

test('JSON: an array of row objects holding numbers or numeric strings', async (t) => {
  t.deepEqual(await jsonRows('[{"sepal_length":5.1,"sepal_width":"3.5","petal_length":1.4,"petal_width":0.2,"id":7}]'), [
    [5.1, 3.5, 1.4, 0.2],
  ]);
});

test('JSON errors name the problem, the row and the column', async (t) => {
  await inputError(t, jsonRows('[{"sepal_length": 1,'), 400, `the body is not valid JSON: ${jsonError('[{"sepal_length": 1,')}`);
  await inputError(t, jsonRows('{"sepal_length": 1}'), 400, 'JSON input must be an array of row objects, such as [{"sepal_length": 5.1, ...}]');
  await inputError(t, jsonRows('[[1,2,3,4]]'), 400, 'row 1 is not an object with the columns sepal_length, sepal_width, petal_length, petal_width');
  await inputError(
    t,
    jsonRows('[{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":true}]'),
    400,
    'row 1, column petal_width: true is not a number',
  );
  await inputError(t, jsonRows('[{"sepal_length":1,"sepal_width":2,"petal_length":3}]'), 400, 'row 1, column petal_width: the value is missing');
  await inputError(
    t,
    jsonRows('[{"sepal_length":1e400,"sepal_width":2,"petal_length":3,"petal_width":4}]'),
    400,
    'row 1, column sepal_length: the number is too large to be finite',
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

test('cellNumber: decimal numbers only', (t) => {
  t.is(cellNumber(' 1.5 ', 1, 'a'), 1.5);
  t.is(cellNumber('-.5e1', 1, 'a'), -5);
  t.is(cellNumber(7, 1, 'a'), 7);
  t.throws(() => cellNumber('0x10', 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: "0x10" is not a number' });
  t.throws(() => cellNumber('1_000', 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: "1_000" is not a number' });
  t.throws(() => cellNumber('NaN', 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: "NaN" is not a number' });
  t.throws(() => cellNumber(' ', 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: the value is missing' });
  t.throws(() => cellNumber(null, 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: the value is missing' });
  t.throws(() => cellNumber(' -2e308', 3, 'a'), { instanceOf: InputError, message: 'row 3, column a: "-2e308" is too large to be finite' });
});

test('plainDecimal reads every plain decimal of up to 15 digits exactly as Number() does', (t) => {
  const plain = fc
    .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{1,15}$/), fc.nat(15))
    .map(([sign, digits, dot]) => `${sign}${digits.slice(0, dot)}${dot < digits.length ? '.' : ''}${digits.slice(dot)}`);
  fc.assert(fc.property(plain, (text) => Object.is(plainDecimal(text), Number(text))), { numRuns: 20_000 });
  // How numbers print (String(-0) is "0"): whatever plainDecimal reads of them, Number() reads the same.
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
    const text = String(value);
    const read = plainDecimal(text);
    return read === undefined || Object.is(read, Number(text));
  }));
  t.is(plainDecimal('5.1'), 5.1);
  t.is(plainDecimal('.5'), 0.5);
  t.true(Object.is(plainDecimal('-0'), -0));
});

test('plainDecimal leaves anything else to the strict check: exponents, blanks, more digits, other characters', (t) => {
  for (const text of ['', '-', '.', '+.', '1e3', ' 1', '1 ', '1.2.3', '0x1', '--1', '1234567890123456', 'Infinity']) {
    t.is(plainDecimal(text), undefined, JSON.stringify(text));
  }
  fc.assert(fc.property(fc.string(), (text) => {
    const read = plainDecimal(text);
    return read === undefined || Object.is(read, Number(text));
  }), { numRuns: 20_000 });
});

test('the format comes from the media type, or from the first character when the type says nothing', (t) => {
  t.is(mediaType('TEXT/CSV; charset=utf-8'), 'text/csv');
  t.is(mediaType(' ; x'), undefined);
  t.is(declaredFormat('text/csv'), 'csv');
  t.is(declaredFormat('text/plain'), 'csv');
  t.is(declaredFormat('application/vnd.api+json'), 'json');
  t.is(declaredFormat(undefined), undefined);
  t.is(declaredFormat('application/octet-stream'), undefined);
  t.is(declaredFormat('application/x-www-form-urlencoded'), undefined);
  t.throws(() => declaredFormat('text/mtx', ' in the multipart field X'), {
    instanceOf: InputError,
    message: 'unsupported Content-Type "text/mtx" in the multipart field X; send text/csv or application/json',
  });
  t.is(sniffedFormat('['), 'json');
  t.is(sniffedFormat('{'), 'json');
  t.is(sniffedFormat('s'), 'csv');
});

test('FeatureRows: packed rows, a new block every BLOCK_ROWS rows', (t) => {
  const rows = new FeatureRows(3);
  for (let value = 0; value < 10; value++) rows.push(value);
  t.is(rows.count, 3, 'the tenth number starts a fourth row');
  t.deepEqual(unpacked(rows), [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
  ]);
  const many = filledRows(BLOCK_ROWS + 1, 2);
  t.is(many.count, BLOCK_ROWS + 1);
  t.not(many.blockOf(BLOCK_ROWS), many.blockOf(BLOCK_ROWS - 1));
  t.deepEqual([many.offsetOf(BLOCK_ROWS - 1), many.offsetOf(BLOCK_ROWS)], [2 * (BLOCK_ROWS - 1), 0]);
  t.deepEqual(unpacked(many).slice(BLOCK_ROWS - 1), [
    [(2 * BLOCK_ROWS - 2) / 7, (2 * BLOCK_ROWS - 1) / 7],
    [(2 * BLOCK_ROWS) / 7, (2 * BLOCK_ROWS + 1) / 7],
  ]);
});

function filledRows(count: number, width: number): FeatureRows {
  const rows = new FeatureRows(width);
  for (let i = 0; i < count * width; i++) rows.push(i / 7);
  return rows;
}

test('jsonObjectRows writes what JSON.stringify writes, in pieces', (t) => {
  const rows = filledRows(9000, 2);
  const pieces = [...jsonObjectRows('predictions', rows, ['a', 'b"c'])];
  t.is(pieces.length, 3, 'pieces of 4096 rows');
  t.is(pieces.join(''), JSON.stringify({ predictions: unpacked(rows).map(([a, b]) => ({ a, 'b"c': b })) }));
  t.deepEqual([...jsonObjectRows('x', filledRows(1, 1), ['k'])], ['{"x":[{"k":0}]}']);
});

test('csvColumn writes a header and one line per row', (t) => {
  t.deepEqual([...csvColumn('species', 3, (i) => ['a', 'b', 'c'][i])], ['species\na\nb\nc\n']);
});

test('scoreRows scores every row into rows of the given width; a result that is not finite is a 400 naming the row', async (t) => {
  const rows = filledRows(9000, 2);
  const sums = await scoreRows(rows, 1, (values, offset, out) => {
    out[0] = values[offset] + values[offset + 1];
  });
  t.deepEqual(unpacked(sums), unpacked(rows).map(([a, b]) => [a + b]));
  await inputError(
    t,
    scoreRows(rows, 1, (values, offset, out) => {
      out[0] = values[offset] === 10000 / 7 ? NaN : values[offset];
    }),
    400,
    'row 5001: the values are too large for the model',
  );
});

/** A response whose socket is always full, then drains at once (within the same tick), as loopback can. */
class DrainingResponse extends EventEmitter {
  statusCode = 0;
  destroyed = false;
  readonly headers: Record<string, string> = {};
  readonly writes: { piece: string; turn: number }[] = [];
  ended = false;

  constructor(private readonly turn: () => number) {
    super();
  }

  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  write(piece: string): boolean {
    this.writes.push({ piece, turn: this.turn() });
    process.nextTick(() => this.emit('drain'));
    return false;
  }

  end(piece?: string): void {
    if (piece !== undefined) this.writes.push({ piece, turn: this.turn() });
    this.ended = true;
  }
}

test('sendText writes one piece per event-loop turn, even to a socket that drains within the tick', async (t) => {
  let turn = 0;
  let sending = true;
  const count = () => {
    turn++;
    if (sending) setImmediate(count);
  };
  setImmediate(count);
  const response = new DrainingResponse(() => turn);
  await sendText(response as unknown as ServerResponse, 'text/csv; charset=utf-8', ['a', 'b', 'c']);
  sending = false;
  t.deepEqual([response.statusCode, response.headers, response.ended], [200, { 'Content-Type': 'text/csv; charset=utf-8' }, true]);
  t.deepEqual(response.writes.map((write) => write.piece), ['a', 'b', 'c']);
  const [a, b, c] = response.writes.map((write) => write.turn);
  t.true(a < b && b < c, `pieces written in turns ${a}, ${b}, ${c}`);
});

test('sendText stops writing when the client has gone', async (t) => {
  const response = new DrainingResponse(() => 0);
  const pieces = function* () {
    yield 'a';
    response.destroyed = true;
    yield 'b';
  };
  await sendText(response as unknown as ServerResponse, 'text/csv', pieces());
  // The client left while 'b' was made: 'a' is not written to a response that is gone.
  t.deepEqual([response.writes.map((write) => write.piece), response.ended], [[], false]);
});

test('sendText ends a one-piece answer with that piece: one write', async (t) => {
  const response = new DrainingResponse(() => 0);
  await sendText(response as unknown as ServerResponse, 'text/csv', ['only']);
  t.deepEqual([response.writes.map((write) => write.piece), response.ended], [['only'], true]);
});
