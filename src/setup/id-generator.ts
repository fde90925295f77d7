import { INVALID_SPANID, INVALID_TRACEID } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

/** Random bytes drawn at a time: one draw gives 128 trace ids, or 256 span ids. */
const POOL_BYTES = 4096;

/**
 * Fills `buffer` (a length that is a multiple of 4) from `Math.random`, the source of the SDK's own
 * `RandomIdGenerator`, so the ids are as random as the SDK's. node:crypto's `randomFillSync` cost about three
 * times as much per 4 KiB draw in the bench server.
 */
function fillFromMathRandom(buffer: Buffer): void {
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = Math.random() * 0x1_0000_0000;
}

/**
 * The tracer provider's ids, cut from a pool of hex text refilled 4 KiB of random bytes at a time. The SDK's
 * `RandomIdGenerator` hex-encodes a buffer in a native call for every id, and every span pays it (a root span
 * twice, sampled or not): about 400 ns for a root span's two ids on Node 20 and 24 in a loop, 170 ns cut
 * from the pool (bench/parts.js); in a CPU profile of the bench server on `/predict/` (Node 24), 4.0 us per
 * request against 1.6 with the pool's refills. An id is a slice of the pool's text.
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.alloc(POOL_BYTES);
  private pool = '';
  private next = 0;

  /** @param fill - Fills a buffer with random bytes (a test gives its own). */
  constructor(private readonly fill: (buffer: Buffer) => void = fillFromMathRandom) {}

  generateTraceId(): string {
    return this.take(INVALID_TRACEID);
  }

  generateSpanId(): string {
    return this.take(INVALID_SPANID);
  }

  /** The next id as long as `invalid` (all zeros), skipping one that is all zeros. */
  private take(invalid: string): string {
    for (;;) {
      if (this.next + invalid.length > this.pool.length) this.refill();
      const start = this.next;
      this.next += invalid.length;
      const id = this.pool.slice(start, this.next);
      if (id !== invalid) return id;
    }
  }

  private refill(): void {
    this.fill(this.bytes);
    this.pool = this.bytes.toString('hex');
    this.next = 0;
  }
}
