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

/** Class probabilities for one row: numerically stable softmax of the linear scores. */
function softmax(scores: readonly number[]): number[] {
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

function standardize(row: readonly number[], mean: readonly number[], scale: readonly number[]): number[] {
  return row.map((value, j) => (value - mean[j]) / scale[j]);
}

function scores(z: readonly number[], coefficients: readonly (readonly number[])[], intercepts: readonly number[]): number[] {
  return coefficients.map((weights, k) => weights.reduce((sum, weight, j) => sum + weight * z[j], intercepts[k]));
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
  const z = data.rows.map((row) => standardize(row, mean, scale));
  const coefficients = Array.from({ length: classCount }, () => new Array<number>(width).fill(0));
  const intercepts = new Array<number>(classCount).fill(0);
  for (let iteration = 0; iteration < settings.iterations; iteration++) {
    const gradW = coefficients.map((weights) => weights.map((weight) => settings.l2 * weight));
    const gradB = new Array<number>(classCount).fill(0);
    z.forEach((row, i) => {
      const probabilities = softmax(scores(row, coefficients, intercepts));
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

function argmax(values: readonly number[]): number {
  return values.reduce((best, value, index) => (value > values[best] ? index : best), 0);
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
  }

  /** The standardized features of one row (feature values in `features` order). */
  transform(row: readonly number[]): number[] {
    return standardize(row, this.weights.mean, this.weights.scale);
  }

  /** Class probabilities of one row, in `classes` order. */
  probabilities(row: readonly number[]): number[] {
    return softmax(scores(this.transform(row), this.weights.coefficients, this.weights.intercepts));
  }

  /** One `{label: probability}` per row, as DRUM answers for classification. */
  predict(rows: readonly (readonly number[])[]): Record<string, number>[] {
    return rows.map((row) => Object.fromEntries(this.probabilities(row).map((p, k) => [this.classes[k], p])));
  }

  /** The most probable label of each row. */
  labels(rows: readonly (readonly number[])[]): string[] {
    return rows.map((row) => this.classes[argmax(this.probabilities(row))]);
  }
}
