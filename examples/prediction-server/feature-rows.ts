/** Rows per block of {@link FeatureRows}: 128 KiB of four features, a few milliseconds of work. */
export const BLOCK_ROWS = 4096;

/**
 * Rows of numbers, packed row after row in Float64Array blocks of {@link BLOCK_ROWS} rows: a 10 MiB CSV holds
 * over 600,000 rows, one array per row would cost several times the memory of the numbers, and one growing
 * array would copy them again and again.
 */
export class FeatureRows {
  private readonly blocks: Float64Array[] = [];
  private length = 0;

  /** `width`: numbers per row. */
  constructor(readonly width: number) {}

  /** How many complete rows were added. */
  get count(): number {
    return Math.floor(this.length / this.width);
  }

  /** Appends one number; every `width` numbers make a row. */
  push(value: number): void {
    const position = this.length % (BLOCK_ROWS * this.width);
    if (position === 0) this.blocks.push(new Float64Array(BLOCK_ROWS * this.width));
    this.blocks[this.blocks.length - 1][position] = value;
    this.length++;
  }

  /** The block holding row `index` (0-based); the row starts at {@link offsetOf} `index` in it. */
  blockOf(index: number): Float64Array {
    return this.blocks[Math.floor(index / BLOCK_ROWS)];
  }

  /** Where row `index` starts in its block. */
  offsetOf(index: number): number {
    return (index % BLOCK_ROWS) * this.width;
  }
}
