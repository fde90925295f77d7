import { parse, type ParseError } from 'papaparse';
import { Readable } from 'node:stream';
import { cellNumber } from './cells';
import { featureColumns } from './csv-header';
import { FeatureRows } from './feature-rows';
import { InputError } from './input-error';

/** Calls `onRecords` with the records of each chunk of `text`, as Papa Parse reads them (RFC 4180, comma-separated). */
function parseChunks(text: AsyncIterable<string>, onRecords: (records: string[][], errors: ParseError[]) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const source = Readable.from(text);
    parse<string[]>(source, {
      delimiter: ',',
      skipEmptyLines: true,
      chunk: (results) => onRecords(results.data, results.errors),
      complete: () => resolve(),
      error: (error: Error) => {
        source.destroy();
        reject(error);
      },
    });
  });
}

/** A 400 for what Papa Parse found wrong, `before` records (the header included) before its chunk. */
function syntaxError(error: ParseError, before: number): InputError {
  // The header is record 0, so a record's index is its data row's number.
  const index = error.row === undefined ? undefined : before + error.row;
  const where = index === undefined ? '' : index === 0 ? 'the header: ' : `row ${index}: `;
  return new InputError(400, `the CSV cannot be parsed: ${where}${error.message}`);
}

/**
 * The feature rows of a CSV text whose header names the features (other columns are ignored), read chunk by
 * chunk as the text arrives. Every problem is a 400 naming its row (1-based, header excluded): unreadable
 * CSV, a row of another length than the header, a cell that is not a finite number.
 */
export async function readCsvRows(text: AsyncIterable<string>, features: readonly string[]): Promise<FeatureRows> {
  const rows = new FeatureRows(features.length);
  let header: string[] | undefined;
  let columns: number[] = [];
  // Records seen so far, the header included: the number of the data row just read.
  let row = 0;
  await parseChunks(text, (records, errors) => {
    if (errors.length > 0) throw syntaxError(errors[0], row + (header === undefined ? 0 : 1));
    for (const record of records) {
      if (header === undefined) {
        columns = featureColumns(record, features);
        header = record;
        continue;
      }
      row++;
      if (record.length !== header.length) {
        throw new InputError(400, `row ${row} has ${record.length} fields, the header has ${header.length}`);
      }
      for (let j = 0; j < columns.length; j++) rows.push(cellNumber(record[columns[j]], row, features[j]));
    }
  });
  return rows;
}
