/**
 * `npm run bench:csv`: the example prediction server, as `npm start` runs it, answering a 10 MiB CSV
 * (`POST /predict/`, text/csv, about 655,000 rows) while a client keeps asking `/ping/`. Prints, per round, the
 * time to the last byte of the answer and the /ping/ latencies meanwhile; then the server's peak RSS, and the
 * budget: under 1 s, /ping/ under 100 ms, RSS under 250 MB. The server runs on core 1, this client on core 0
 * (when taskset exists).
 *
 * Environment: BENCH_CSV_ROUNDS (5 measured rounds, after one warm-up), BENCH_CSV_MIB (10), BENCH_CSV_ROOT
 * (another built checkout whose `npm start` to measure, side by side with this one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { numberFromEnv } from './configs';
import { largeIrisCsv } from './iris-csv';
import { peakRssMegabytes } from './peak-rss';
import { canPin, LOAD_CORE, pinSelf, SERVER_CORE } from './pinning';

const ROOT = process.env.BENCH_CSV_ROOT || join(__dirname, '..', '..');
const BUDGET = { totalMs: 1000, pingMs: 100, rssMb: 250 };

interface Round {
  readonly totalMs: number;
  readonly answerBytes: number;
  readonly pingsMs: readonly number[];
}

/** The running server: npm's process, and the server's own pid (which it reports in /stats/). */
interface Server {
  readonly npm: ChildProcess;
  readonly url: string;
  readonly pid: number;
}

/** Runs `npm start` (without its build) in ROOT on a free port, tracing on and spans dropped. */
async function startServer(): Promise<Server> {
  const command = canPin() ? ['taskset', '-c', String(SERVER_CORE), 'npm'] : ['npm'];
  const npm = spawn(command[0], [...command.slice(1), 'start', '--ignore-scripts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  for await (const chunk of npm.stdout!) {
    output += chunk;
    const match = /listening on http:\/\/localhost:(\d+)/.exec(output);
    if (match === null) continue;
    const url = `http://127.0.0.1:${match[1]}`;
    const stats = (await (await fetch(`${url}/stats/`)).json()) as { drum_info: { pid: number }[] };
    npm.stdout!.resume();
    return { npm, url, pid: stats.drum_info[0].pid };
  }
  throw new Error(`npm start exited before the server listened:\n${output}`);
}

/** One request on a fresh connection; resolves with its duration to the last byte and the bytes received. */
function timedRequest(url: string, method: string, body?: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const headers = body === undefined ? {} : { 'content-type': 'text/csv' };
    const outgoing = request(url, { method, agent: false, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ ms: performance.now() - start, bytes, status: response.statusCode ?? 0 }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function round(url: string, csv: string): Promise<Round> {
  let done = false;
  const big = timedRequest(`${url}/predict/`, 'POST', csv).finally(() => (done = true));
  const pingsMs: number[] = [];
  while (!done) pingsMs.push((await timedRequest(`${url}/ping/`, 'GET')).ms);
  const { ms, bytes, status } = await big;
  if (status !== 200) throw new Error(`POST /predict/ answered ${status}`);
  return { totalMs: ms, answerBytes: bytes, pingsMs };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

async function main(): Promise<void> {
  const rounds = numberFromEnv('BENCH_CSV_ROUNDS', 5);
  const mib = numberFromEnv('BENCH_CSV_MIB', 10);
  const pinned = pinSelf(LOAD_CORE);
  const { text, species } = largeIrisCsv(mib * 1024 * 1024);
  const { npm, url, pid } = await startServer();
  console.log(`npm start in ${ROOT}: ${Buffer.byteLength(text)} bytes, ${species.length} rows; Node ${process.version}; ${pinned ? 'pinned: client core 0, server core 1' : 'not pinned'}`);
  console.log(`load average at start: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  try {
    await round(url, text); // warm-up
    const results: Round[] = [];
    console.log('round  total ms  answer MB  pings  ping p50 ms  ping max ms');
    for (let i = 1; i <= rounds; i++) {
      const result = await round(url, text);
      results.push(result);
      const cells = [
        String(i).padStart(5),
        result.totalMs.toFixed(0).padStart(9),
        (result.answerBytes / 2 ** 20).toFixed(1).padStart(10),
        String(result.pingsMs.length).padStart(6),
        median(result.pingsMs).toFixed(1).padStart(12),
        Math.max(...result.pingsMs).toFixed(1).padStart(12),
      ];
      console.log(cells.join(' '));
    }
    const totalMs = median(results.map((result) => result.totalMs));
    const pingMaxMs = median(results.map((result) => Math.max(...result.pingsMs)));
    const rssMb = peakRssMegabytes(pid);
    console.log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
    console.log(`median total ${totalMs.toFixed(0)} ms (budget < ${BUDGET.totalMs}): ${verdict(totalMs < BUDGET.totalMs)}`);
    console.log(`median of the rounds' slowest /ping/ ${pingMaxMs.toFixed(1)} ms (budget < ${BUDGET.pingMs}): ${verdict(pingMaxMs < BUDGET.pingMs)}`);
    console.log(`server peak RSS ${rssMb.toFixed(0)} MB (budget < ${BUDGET.rssMb}): ${verdict(rssMb < BUDGET.rssMb)}`);
  } finally {
    // The server itself: a start script without `exec` would leave it running if npm got the signal.
    process.kill(pid, 'SIGTERM');
    await once(npm, 'exit');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
