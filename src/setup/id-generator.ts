import { randomFillSync } from 'node:crypto';
import { INVALID_SPANID, INVALID_TRACEID } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-node';

/** Random bytes drawn at a time: one draw gives 128 trace ids, or 256 span ids. */
const POOL_BYTES = 4096;

/**
 * The tracer provider's ids, cut from a pool of hex text that one draw of the system's cryptographic random
 * source refills, 4 KiB at a time. The SDK's `RandomIdGenerator` hex-encodes a buffer in a native call for
 * every id, and every span pays it (a root span twice, sampled or not): about 380 ns for a root span's two
 * ids on Node 20 and 24, 120 ns cut from the pool (bench/parts.js). An id is a slice of the pool's text.
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.alloc(POOL_BYTES);
  private pool = '';
  private next = 0;

  /** @param fill - Fills a buffer with random bytes (a test gives its own). */
  constructor(private readonly fill: (buffer: Buffer) => void = randomFillSync) {}

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
