import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { delimiter, dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
// The examples of the build this test was compiled into (build/, or another --outDir beside it).
const BUILD = join(__dirname, '..', '..');
export const PREDICTION_SERVER = join(BUILD, 'examples', 'prediction-server', 'main.js');
/** The same server on Koa (`npm run start:koa`). */
export const KOA_PREDICTION_SERVER = join(BUILD, 'examples', 'prediction-server', 'main-koa.js');
export const GATEWAY = join(BUILD, 'examples', 'two-services', 'gateway.js');

/**
 * The example server on each driver: its script, how the driver writes a route in spans (`http.route`), and the
 * "any path" of the direct-access routes (`/directAccess/*` on Express, `/directAccess/(.*)` on Koa).
 */
export const PREDICTION_SERVERS = [
  { name: 'Express', script: PREDICTION_SERVER, route: (route: string) => route, anyPath: '*' },
  // routing-controllers' Koa driver registers routes without their trailing slash.
  { name: 'Koa', script: KOA_PREDICTION_SERVER, route: (route: string) => (route.length > 1 ? route.replace(/\/$/, '') : route), anyPath: '(.*)' },
] as const;

/**
 * An upper bound, not an expectation: how long a process may take to print its ready line, to stop, or to
 * run to its end while other work keeps every core busy (a start takes under a second on an idle machine,
 * 6-7 s on a loaded one). Tests wait for the event itself and fail after this only when it never comes.
 */
export const PROCESS_BOUND_MS = 50_000;

export const IRIS_HEADER = 'sepal_length,sepal_width,petal_length,petal_width';
/** Rows 1, 51 and 101 of data/iris.csv: a setosa, a versicolor, a virginica. */
export const IRIS_CSV = `${IRIS_HEADER}\n5.1,3.5,1.4,0.2\n7.0,3.2,4.7,1.4\n6.3,3.3,6.0,2.5\n`;

// Variables of the test runner's own environment that would change what the server does.
const INHERITED_NOISE = /^(OTEL_|ENABLE_OTEL$|MLOPS_RUNTIME_PARAM_|PORT$|HOST$|URL_PREFIX$|WORKERS$|PREDICTION_URL$)/;

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the stop signal (or the start, when the process ended by itself) to the exit. */
  readonly millis: number;
}

/** A server started as a child process, with what it printed. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  output(): string;
  stderr(): string;
  /** Sends `signal` and waits for the exit (at most `timeoutMs`, then SIGKILL and a failing Exit). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !INHERITED_NOISE.test(name));
  return { ...Object.fromEntries(inherited), ...env };
}

function waitForExit(child: ChildProcess, since: number, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, millis: Date.now() - since });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    if (child.exitCode !== null || child.signalCode !== null) finish(child.exitCode, child.signalCode);
    else child.once('exit', finish);
  });
}

/**
 * Runs a script to its end (a start that must fail), returning its exit and what it printed. The bound is
 * generous: the suite starts many processes at once on a busy machine.
 */
export async function runToExit(
  script: string,
  env: Record<string, string>,
  timeoutMs = PROCESS_BOUND_MS,
): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [script], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exit = await waitForExit(child, Date.now(), timeoutMs);
  return { ...exit, stdout, stderr };
}

/** What a test starts: a program, its arguments, and how its output names it. */
interface Command {
  readonly file: string;
  readonly args: readonly string[];
  readonly label: string;
}

/**
 * Starts `command` with `env` and waits until it prints `listening on http://localhost:<port>` (however long
 * that takes, up to {@link PROCESS_BOUND_MS}). Its output is kept quiet, and printed only when the test
 * fails; the process is killed when the test ends.
 */
async function startCommand(t: ExecutionContext, command: Command, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(command.file, [...command.args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk;
    stderr += chunk;
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!t.passed) console.error(`--- output of ${command.label}:\n${output}--- end`);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command.label} did not start within ${PROCESS_BOUND_MS} ms:\n${output}`)),
      PROCESS_BOUND_MS,
    );
    const check = () => {
      const match = /listening on http:\/\/localhost:(\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(Number(match[1]));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command.label} exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stderr: () => stderr,
    stop(signal = 'SIGTERM', timeoutMs = PROCESS_BOUND_MS) {
      const since = Date.now();
      child.kill(signal);
      return waitForExit(child, since, timeoutMs);
    },
  };
}

/** Starts the Node script `script` with `env` (see {@link startCommand}). */
export function startProcess(t: ExecutionContext, script: string, env: Record<string, string>): Promise<ServerProcess> {
  return startCommand(t, { file: process.execPath, args: [script], label: `${script} (${JSON.stringify(env)})` }, cleanEnv(env));
}

/**
 * Runs `npm start` (or `npm run <script>`, e.g. `start:koa`) in the repository as a user would, without its
 * pre-script's build (`--ignore-scripts`: the suite was built already), with this test's Node first on PATH.
 * `child` is the npm process.
 */
export function startNpmStart(t: ExecutionContext, env: Record<string, string>, script = 'start'): Promise<ServerProcess> {
  const path = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return startCommand(
    t,
    { file: 'npm', args: ['run', script, '--ignore-scripts'], label: `npm run ${script} (${JSON.stringify(env)})` },
    { ...cleanEnv(env), PATH: path },
  );
}

/** An HTTP answer with its body as text. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  json(): unknown;
}

/**
 * One request on a fresh connection (no keep-alive: with WORKERS the primary hands each connection to the
 * next worker). Rejects when no answer arrives within `timeoutMs`.
 */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          body,
          json: () => JSON.parse(body),
        });
      });
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A POST of the three Iris rows as CSV to `path`, with extra headers. */
export function postCsv(server: ServerProcess, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return send(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/csv', ...headers }, body: IRIS_CSV });
}
