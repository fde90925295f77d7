/**
 * `npm run bench:soak`: 200,000 traced requests on the `drum-otel` configuration's echo route, the server's
 * heap and RSS sampled (after a full GC) every segment. Growth is measured from the end of the warm-up;
 * exits non-zero when the heap grew by more than 5 MB, when a request failed, or when requests were left
 * without their span (bookkeeping that never finished).
 *
 * Environment: SOAK_REQUESTS (200000), SOAK_WARMUP (20000), SOAK_SEGMENTS (10), BENCH_NODES (20,24).
 */
import { numberFromEnv } from './configs';
import { runLoad } from './load';
import { benchNodes, type NodeBinary } from './node-binaries';
import { LOAD_CORE, pinSelf } from './pinning';
import type { MemorySample } from './protocol';
import { ROUTES } from './routes';
import { ServerProcess } from './server-process';

const HEAP_GROWTH_LIMIT_MB = 5;
const MB = 1024 * 1024;
const ECHO = ROUTES.find((route) => route.name === 'echo')!;

const log = (line: string): void => console.log(line);

interface SoakResult {
  readonly node: NodeBinary;
  readonly samples: readonly MemorySample[];
  readonly failures: number;
}

function describeSample(label: string, sample: MemorySample): string {
  return (
    `  ${label.padEnd(10)} requests ${String(sample.requests).padStart(7)}  spans ${String(sample.spans).padStart(7)}  ` +
    `heap ${(sample.heapUsed / MB).toFixed(2).padStart(7)} MB  rss ${(sample.rss / MB).toFixed(1).padStart(6)} MB  ` +
    `external ${(sample.external / MB).toFixed(2)} MB  active handles ${sample.activeHandles}`
  );
}

async function soak(node: NodeBinary, warmup: number, total: number, segments: number): Promise<SoakResult> {
  log(`Node ${node.version}: ${warmup} warm-up requests, then ${total} in ${segments} segments`);
  // --expose-gc: each sample follows a full collection, so it shows what is still reachable.
  const server = await ServerProcess.start({ config: 'drum-otel', node: node.path, execArgv: ['--expose-gc'] });
  try {
    let failures = (await runLoad(server.url, ECHO, { amount: warmup })).failures;
    const samples = [await server.memory()];
    log(describeSample('warm-up', samples[0]));
    const perSegment = Math.ceil(total / segments);
    for (let segment = 1; segment <= segments; segment++) {
      const load = await runLoad(server.url, ECHO, { amount: perSegment });
      failures += load.failures;
      samples.push(await server.memory());
      // No req/s here: autocannon ends a run of a fixed number of requests on its next one-second tick.
      log(describeSample(`+${segment * perSegment}`, samples[samples.length - 1]));
    }
    return { node, samples, failures };
  } finally {
    await server.stop();
  }
}

/** Least-squares slope of heap against requests, in MB per 100,000 requests: a leak shows as a steady slope. */
function heapSlope(samples: readonly MemorySample[]): number {
  const n = samples.length;
  const xs = samples.map((sample) => sample.requests);
  const ys = samples.map((sample) => sample.heapUsed / MB);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  const covariance = xs.reduce((sum, x, i) => sum + (x - meanX) * (ys[i] - meanY), 0);
  const variance = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : (covariance / variance) * 100_000;
}

/** Prints the verdict of one soak and returns whether it passed. */
function judge(result: SoakResult): boolean {
  const first = result.samples[0];
  const last = result.samples[result.samples.length - 1];
  const heapGrowth = (last.heapUsed - first.heapUsed) / MB;
  const rssGrowth = (last.rss - first.rss) / MB;
  const untraced = last.spans === null ? 0 : last.requests - last.spans;
  const handleGrowth = last.activeHandles - first.activeHandles;
  const checks: [string, boolean][] = [
    [`heap growth after warm-up ${heapGrowth.toFixed(2)} MB (limit ${HEAP_GROWTH_LIMIT_MB} MB; slope ${heapSlope(result.samples.slice(1)).toFixed(3)} MB per 100k requests)`, heapGrowth <= HEAP_GROWTH_LIMIT_MB],
    [`RSS growth after warm-up ${rssGrowth.toFixed(1)} MB (reported, not judged: the allocator keeps pages)`, true],
    [`requests without an exported span: ${untraced} of ${last.requests} (every request's span ended and left the processor)`, untraced === 0],
    [`active handles ${first.activeHandles} -> ${last.activeHandles}`, handleGrowth <= 0],
    [`failed requests: ${result.failures}`, result.failures === 0],
  ];
  for (const [text, ok] of checks) log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  return checks.every(([, ok]) => ok);
}

async function main(): Promise<void> {
  pinSelf(LOAD_CORE);
  const total = Math.round(numberFromEnv('SOAK_REQUESTS', 200_000));
  const warmup = Math.round(numberFromEnv('SOAK_WARMUP', 20_000));
  const segments = Math.round(numberFromEnv('SOAK_SEGMENTS', 10));
  let passed = true;
  for (const node of benchNodes(log)) {
    const result = await soak(node, warmup, total, segments);
    passed = judge(result) && passed;
  }
  log(passed ? 'soak passed' : 'soak FAILED');
  if (!passed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
