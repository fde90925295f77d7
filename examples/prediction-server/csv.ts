/** A CSV text that cannot be read, with the 1-based line where reading stopped. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/**
 * The records of an RFC 4180 CSV text: comma-separated fields, optionally double-quoted (a quoted field may
 * hold commas, line breaks and `""` for a quote), lines ending in LF or CRLF. Blank lines are skipped.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let fieldWasQuoted = false;
  let line = 1;
  const endRecord = () => {
    record.push(field);
    if (record.length > 1 || record[0] !== '' || fieldWasQuoted) records.push(record);
    record = [];
    field = '';
    fieldWasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvSyntaxError(line, 'a closing quote must end its field');
        }
      } else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"') {
      if (field !== '') throw new CsvSyntaxError(line, 'a quote may only open a field');
      quoted = true;
      fieldWasQuoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
      fieldWasQuoted = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
    } else {
      field += char;
    }
  }
  if (quoted) throw new CsvSyntaxError(line, 'a quoted field is not closed');
  if (field !== '' || record.length > 0 || fieldWasQuoted) endRecord();
  return records;
}
