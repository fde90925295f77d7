/** Rows per block of {@link FeatureRows}: 128 KiB of four features, a few milliseconds of work. */
export const BLOCK_ROWS = 4096;
/** Rows the first block has room for at first: most requests carry a few rows, and zeroing 128 KiB each is not free. */
const FIRST_ROWS = 16;

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
    const blockLength = BLOCK_ROWS * this.width;
    const position = this.length % blockLength;
    const last = this.blocks.length - 1;
    if (position === 0) {
      this.blocks.push(new Float64Array(last === -1 ? FIRST_ROWS * this.width : blockLength));
    } else if (position === this.blocks[last].length) {
      // Only the first block starts small; it doubles until it holds BLOCK_ROWS rows like the others.
      const grown = new Float64Array(Math.min(position * 2, blockLength));
      grown.set(this.blocks[last]);
      this.blocks[last] = grown;
    }
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
