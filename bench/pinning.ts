/**
 * CPU pinning with taskset (util-linux): the load generator on core 0, each server alone on core 1, so the
 * server's CPU time is not stolen by the load it answers.
 */
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';

export const LOAD_CORE = 0;
export const SERVER_CORE = 1;

let pinningAvailable: boolean | undefined;

/** Whether taskset exists and there are at least two cores to keep apart. */
export function canPin(): boolean {
  pinningAvailable ??= cpus().length >= 2 && spawnSync('taskset', ['-p', String(process.pid)]).status === 0;
  return pinningAvailable;
}

/** Pins every thread of this process (V8 and libuv workers included) to `core`; children inherit it. */
export function pinSelf(core: number): boolean {
  if (!canPin()) return false;
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
  return true;
}

export interface ForkOptions {
  readonly node: string;
  readonly core?: number;
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** A command that runs node, such as `valgrind --tool=callgrind`: its words go before the Node binary. */
  readonly launcher?: readonly string[];
  /** The working directory; this process's by default. */
  readonly cwd?: string;
}

/**
 * Forks `modulePath` under the given Node binary (through the launcher, if any), pinned to `core` from its
 * first instruction: taskset execs the launcher or node, which keep the IPC channel the fork opened and the
 * process id.
 */
export function forkNode(modulePath: string, args: readonly string[], options: ForkOptions): ChildProcess {
  const pinning = options.core !== undefined && canPin() ? ['taskset', '-c', String(options.core)] : [];
  const [execPath, ...execArgv] = [...pinning, ...(options.launcher ?? []), options.node, ...(options.execArgv ?? [])];
  return fork(modulePath, [...args], {
    execPath,
    execArgv,
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
