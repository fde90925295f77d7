/**
 * What the in-process measurements (parts.ts, setup-parts.ts) share: operations timed in CPU time, taking
 * turns block by block so that a slow spell of the machine slows each alike, and a request as drum-otel sees it.
 */
import { EventEmitter } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { median } from './stats';

/** One call of what is measured; nanoseconds per call are reported. */
export type Operation = () => void;

/** What {@link interleaved} reports of an operation. */
export interface Measured {
  /** Median CPU nanoseconds per call. */
  readonly ns: number;
  /** Median bytes allocated on V8's heap per call: what the garbage collector pays for later, elsewhere. */
  readonly bytes: number;
}

/** Blocks in which the allocation is counted: bytes per call barely vary from one block to the next. */
const ALLOCATION_BLOCKS = 5;

const BLOCK_MS = 10;
/** Blocks per operation: PARTS_BLOCKS, default 100. */
export const BLOCKS = Number(process.env.PARTS_BLOCKS ?? 100);

/** CPU time of this process in microseconds: unlike the wall clock, it does not count time other processes took. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** How many calls of `operation` take about BLOCK_MS of CPU. */
function calibrate(operation: Operation): number {
  let count = 1;
  for (;;) {
    const started = cpuMicros();
    for (let i = 0; i < count; i++) operation();
    if ((cpuMicros() - started) / 1000 >= BLOCK_MS) return count;
    count *= 2;
  }
}

/** An operation and what to set up (globals, say) before each of its blocks. */
export interface Variant {
  readonly before?: () => void;
  readonly operation: Operation;
}

/** Median CPU ns and heap bytes per call of each variant, the variants taking turns block by block. */
export function interleaved(variants: Readonly<Record<string, Operation | Variant>>): Record<string, Measured> {
  const names = Object.keys(variants);
  const all = names.map((name): Variant => {
    const variant = variants[name]!;
    return typeof variant === 'function' ? { operation: variant } : variant;
  });
  const counts = all.map(({ before, operation }) => {
    before?.();
    return calibrate(operation);
  });
  const samples = names.map((): number[] => []);
  for (let block = 0; block < BLOCKS; block++) {
    all.forEach(({ before, operation }, index) => {
      before?.();
      const count = counts[index]!;
      const started = cpuMicros();
      for (let i = 0; i < count; i++) operation();
      samples[index]!.push(((cpuMicros() - started) * 1000) / count);
    });
  }
  const bytes = names.map((): number[] => []);
  for (let block = 0; block < ALLOCATION_BLOCKS; block++) {
    all.forEach(({ before, operation }, index) => {
      before?.();
      const count = counts[index]!;
      const allocated = getHeapStatistics().total_allocated_bytes;
      for (let i = 0; i < count; i++) operation();
      bytes[index]!.push((getHeapStatistics().total_allocated_bytes - allocated) / count);
    });
  }
  return Object.fromEntries(names.map((name, index) => [name, { ns: median(samples[index]!), bytes: median(bytes[index]!) }]));
}

/** Request headers as a DRUM client sends them, without trace headers (most requests have none). */
export const HEADERS: Record<string, string> = {
  host: '127.0.0.1:8080',
  'user-agent': 'python-requests/2.32.3',
  'accept-encoding': 'gzip, deflate',
  accept: '*/*',
  connection: 'keep-alive',
  'content-type': 'text/csv',
  'content-length': '280',
};

/** What drum-otel reads of a response: an emitter of `close`, complete and detached from its socket. */
export class FinishedResponse extends EventEmitter {
  readonly headersSent = true;
  readonly statusCode = 200;
  readonly writableFinished = true;
  readonly socket = null;
}

/** Prints a table of nanoseconds (and, where measured, heap bytes) per call under its title. */
export function print(title: string, table: Record<string, number | Measured>): void {
  console.log(`\n${title}\n`);
  for (const [name, value] of Object.entries(table)) {
    const { ns, bytes } = typeof value === 'number' ? { ns: value, bytes: undefined } : value;
    console.log(`${ns.toFixed(0).padStart(8)} ns${bytes === undefined ? '' : `${bytes.toFixed(0).padStart(7)} B`}  ${name}`);
  }
}
