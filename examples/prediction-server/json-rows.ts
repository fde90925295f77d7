import { cellNumber } from './cells';
import { FeatureRows } from './feature-rows';
import { InputError } from './input-error';

/**
 * The feature rows of a JSON array of row objects such as `[{"sepal_length": 5.1, ...}]` (numbers or numeric
 * strings; other keys are ignored). Every problem is a 400 naming it.
 */
export async function readJsonRows(text: AsyncIterable<string>, features: readonly string[]): Promise<FeatureRows> {
  let body = '';
  for await (const chunk of text) body += chunk;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InputError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) {
    throw new InputError(400, `JSON input must be an array of row objects, such as [{"${features[0]}": 5.1, ...}]`);
  }
  const rows = new FeatureRows(features.length);
  value.forEach((row: unknown, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new InputError(400, `row ${i + 1} is not an object with the columns ${features.join(', ')}`);
    }
    for (const feature of features) rows.push(cellNumber((row as Record<string, unknown>)[feature], i + 1, feature));
  });
  return rows;
}
