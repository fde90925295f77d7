/**
 * A multinomial logistic regression on standardized features: the Iris classifier the example server
 * serves. Fitting and predicting are plain TypeScript, so the weights file is all the server needs.
 */

/** The fitted model as `iris-model.json` stores it. */
export interface ModelWeights {
  readonly model: 'multinomial-logistic-regression';
  readonly features: readonly string[];
  readonly classes: readonly string[];
  /** Per feature: what standardization subtracts, then divides by. */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  /** One row of coefficients (one per feature) and one intercept per class. */
  readonly coefficients: readonly (readonly number[])[];
  readonly intercepts: readonly number[];
  readonly training: {
    readonly data: string;
    readonly rows: number;
    readonly accuracy: number;
    readonly iterations: number;
    readonly learningRate: number;
    readonly l2: number;
  };
}

/** Labelled rows to fit on. */
export interface TrainingSet {
  readonly features: readonly string[];
  readonly classes: readonly string[];
  readonly rows: readonly (readonly number[])[];
  /** Index into `classes`, per row. */
  readonly labels: readonly number[];
}

export interface FitSettings {
  readonly iterations: number;
  readonly learningRate: number;
  readonly l2: number;
}

export const DEFAULT_FIT: FitSettings = { iterations: 3000, learningRate: 0.5, l2: 0.001 };

/** A row of numbers that scoring writes into: a plain array, or a Float64Array reused row after row. */
type Numbers = number[] | Float64Array;

/** Turns linear scores into class probabilities in place: numerically stable softmax. */
function softmaxInPlace(values: Numbers): void {
  let max = -Infinity;
  for (let k = 0; k < values.length; k++) max = Math.max(max, values[k]);
  let sum = 0;
  for (let k = 0; k < values.length; k++) {
    values[k] = Math.exp(values[k] - max);
    sum += values[k];
  }
  for (let k = 0; k < values.length; k++) values[k] /= sum;
}

/** The standardized features of the row that starts at `offset` of `values`, into `out`. */
function standardizeInto(values: ArrayLike<number>, offset: number, mean: readonly number[], scale: readonly number[], out: Numbers): void {
  for (let j = 0; j < mean.length; j++) out[j] = (values[offset + j] - mean[j]) / scale[j];
}

/** The linear score of each class for standardized features `z`, into `out`. */
function scoresInto(z: ArrayLike<number>, coefficients: readonly (readonly number[])[], intercepts: readonly number[], out: Numbers): void {
  for (let k = 0; k < coefficients.length; k++) {
    const weights = coefficients[k];
    let sum = intercepts[k];
    for (let j = 0; j < weights.length; j++) sum += weights[j] * z[j];
    out[k] = sum;
  }
}

function columnStats(rows: readonly (readonly number[])[], width: number): { mean: number[]; scale: number[] } {
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((sum, row) => sum + row[j], 0) / rows.length);
  const scale = mean.map((m, j) => Math.sqrt(rows.reduce((sum, row) => sum + (row[j] - m) ** 2, 0) / rows.length) || 1);
  return { mean, scale };
}

/**
 * Fits by full-batch gradient descent on the mean cross-entropy plus an L2 penalty, from zero weights:
 * deterministic, so running the fit script again reproduces the committed weights.
 */
export function fitModel(data: TrainingSet, settings: FitSettings = DEFAULT_FIT, source = ''): ModelWeights {
  const width = data.features.length;
  const classCount = data.classes.length;
  const { mean, scale } = columnStats(data.rows, width);
  const z = data.rows.map((row) => {
    const standardized = new Array<number>(width);
    standardizeInto(row, 0, mean, scale, standardized);
    return standardized;
  });
  const coefficients = Array.from({ length: classCount }, () => new Array<number>(width).fill(0));
  const intercepts = new Array<number>(classCount).fill(0);
  for (let iteration = 0; iteration < settings.iterations; iteration++) {
    const gradW = coefficients.map((weights) => weights.map((weight) => settings.l2 * weight));
    const gradB = new Array<number>(classCount).fill(0);
    const probabilities = new Float64Array(classCount);
    z.forEach((row, i) => {
      scoresInto(row, coefficients, intercepts, probabilities);
      softmaxInPlace(probabilities);
      probabilities.forEach((p, k) => {
        const error = (p - (data.labels[i] === k ? 1 : 0)) / z.length;
        gradB[k] += error;
        row.forEach((value, j) => (gradW[k][j] += error * value));
      });
    });
    coefficients.forEach((weights, k) => weights.forEach((_, j) => (weights[j] -= settings.learningRate * gradW[k][j])));
    intercepts.forEach((_, k) => (intercepts[k] -= settings.learningRate * gradB[k]));
  }
  const fitted: ModelWeights = {
    model: 'multinomial-logistic-regression',
    features: [...data.features],
    classes: [...data.classes],
    mean,
    scale,
    coefficients,
    intercepts,
    training: { data: source, rows: data.rows.length, accuracy: 0, ...settings },
  };
  const predicted = new IrisModel(fitted).labels(data.rows);
  const correct = predicted.filter((label, i) => label === data.classes[data.labels[i]]).length;
  return { ...fitted, training: { ...fitted.training, accuracy: correct / data.rows.length } };
}

/** The index of the largest value (the first of equals). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index] > values[best]) best = index;
  return best;
}

function isNumberArray(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((item) => typeof item === 'number' && Number.isFinite(item));
}

/** Checks a parsed weights file, so that a damaged one fails at start-up, not on the first request. */
export function checkWeights(value: unknown): ModelWeights {
  const weights = value as ModelWeights;
  const width = Array.isArray(weights?.features) ? weights.features.length : -1;
  const classCount = Array.isArray(weights?.classes) ? weights.classes.length : -1;
  const valid =
    weights?.model === 'multinomial-logistic-regression' &&
    width > 0 &&
    classCount > 1 &&
    isNumberArray(weights.mean, width) &&
    isNumberArray(weights.scale, width) &&
    weights.scale.every((s) => s > 0) &&
    Array.isArray(weights.coefficients) &&
    weights.coefficients.length === classCount &&
    weights.coefficients.every((row) => isNumberArray(row, width)) &&
    isNumberArray(weights.intercepts, classCount);
  if (!valid) throw new Error('the model weights are not a multinomial logistic regression of matching shapes');
  return weights;
}

/** The served classifier. */
export class IrisModel {
  readonly features: readonly string[];
  readonly classes: readonly string[];

  constructor(readonly weights: ModelWeights) {
    checkWeights(weights);
    this.features = weights.features;
    this.classes = weights.classes;
    this.standardized = new Float64Array(weights.features.length);
  }

  /** Reused by each scoring call: scoring allocates nothing per row. */
  private readonly standardized: Float64Array;

  /**
   * The standardized features of the row that starts at `offset` of `values` (feature values in `features`
   * order), into `out`.
   */
  transformInto(values: ArrayLike<number>, offset: number, out: Numbers): void {
    standardizeInto(values, offset, this.weights.mean, this.weights.scale, out);
  }

  /** Class probabilities, in `classes` order, of the row that starts at `offset` of `values`, into `out`. */
  probabilitiesInto(values: ArrayLike<number>, offset: number, out: Numbers): void {
    this.transformInto(values, offset, this.standardized);
    scoresInto(this.standardized, this.weights.coefficients, this.weights.intercepts, out);
    softmaxInPlace(out);
  }

  /** Class probabilities of one row, in `classes` order. */
  probabilities(row: ArrayLike<number>): number[] {
    const out = new Array<number>(this.classes.length);
    this.probabilitiesInto(row, 0, out);
    return out;
  }

  /** One `{label: probability}` per row, as DRUM answers for classification. */
  predict(rows: readonly ArrayLike<number>[]): Record<string, number>[] {
    return rows.map((row) => Object.fromEntries(this.probabilities(row).map((p, k) => [this.classes[k], p])));
  }

  /** The most probable label of each row. */
  labels(rows: readonly ArrayLike<number>[]): string[] {
    return rows.map((row) => this.classes[argmax(this.probabilities(row))]);
  }
}
