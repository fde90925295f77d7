/**
 * What the in-process measurements (parts.ts, setup-parts.ts) share: operations timed in CPU time, taking
 * turns block by block so that a slow spell of the machine slows each alike, and a request as drum-otel sees it.
 */
import { EventEmitter } from 'node:events';
import { median } from './stats';

/** One call of what is measured; nanoseconds per call are reported. */
export type Operation = () => void;

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

/** Median CPU ns per call of each variant, the variants taking turns block by block. */
export function interleaved(variants: Readonly<Record<string, Operation | Variant>>): Record<string, number> {
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
  return Object.fromEntries(names.map((name, index) => [name, median(samples[index]!)]));
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

/** Prints a table of nanoseconds per call under its title. */
export function print(title: string, table: Record<string, number>): void {
  console.log(`\n${title}\n`);
  for (const [name, ns] of Object.entries(table)) console.log(`${ns.toFixed(0).padStart(8)} ns  ${name}`);
}
