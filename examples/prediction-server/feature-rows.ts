/**
 * Rows of numbers packed row after row in one Float64Array: a 10 MiB CSV holds over 600,000 rows, and one
 * array per row would cost several times the memory of the numbers themselves.
 */
export class FeatureRows {
  private values_: Float64Array;
  private length = 0;

  /** `width`: numbers per row. */
  constructor(readonly width: number, initialRows = 1024) {
    this.values_ = new Float64Array(width * initialRows);
  }

  /** How many complete rows were added. */
  get count(): number {
    return Math.floor(this.length / this.width);
  }

  /** Appends one number; every `width` numbers make a row. */
  push(value: number): void {
    if (this.length === this.values_.length) {
      const grown = new Float64Array(Math.max(this.values_.length * 2, this.width));
      grown.set(this.values_);
      this.values_ = grown;
    }
    this.values_[this.length++] = value;
  }

  /** The numbers, row after row: row `i` starts at `i * width`; those past `count` rows are unused. */
  get values(): Float64Array {
    return this.values_;
  }
}
