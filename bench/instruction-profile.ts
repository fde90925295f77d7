/**
 * Where a callgrind count's instructions went, by owner (Node core, Express, routing-controllers,
 * @opentelemetry, drum-otel, ...) and by function. Callgrind names JIT-compiled code by its address only; V8's
 * `--perf-basic-prof` map (with `--interpreted-frames-native-stack`, so that interpreted functions get code
 * of their own too) names the code object each address falls in.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ownerOf } from './owners';

/** The flags a server needs for its instructions to be attributed (V8 then also writes a log into its working directory). */
export const PROFILE_FLAGS: readonly string[] = ['--perf-basic-prof', '--interpreted-frames-native-stack'];

interface CodeObject {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** Instructions by owner and by function (`[owner] name`). */
export interface Attribution {
  readonly byOwner: Record<string, number>;
  readonly byFunction: Record<string, number>;
}

/** V8's perf map: `<hex start> <hex size> <kind>:<name> <url>:<line>:<column>` per line. Later lines win. */
export function readPerfMap(text: string): CodeObject[] {
  const objects: CodeObject[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (match === null) continue;
    const start = Number.parseInt(match[1], 16);
    objects.push({ start, end: start + Number.parseInt(match[2], 16), name: match[3] });
  }
  // A stable sort keeps the later of two entries for the same address last: the code that replaced the other.
  return objects.sort((a, b) => a.start - b.start);
}

/** The code object holding `address`: the last one that starts at or below it and reaches past it. */
function codeAt(objects: readonly CodeObject[], address: number): CodeObject | undefined {
  let low = 0;
  let high = objects.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (objects[middle].start <= address) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  for (let i = found; i >= 0 && i > found - 64; i--) if (objects[i].end > address) return objects[i];
  return undefined;
}

/** `JS:*name /path/file.js:12:3` -> owner of the path, and the name with its file and line. */
function describeCode(name: string): { owner: string; label: string } {
  const match = /^(\w+):[~*^+]?(.*?)\s*(\S+):(\d+):\d+$/.exec(name);
  if (match === null) return { owner: name.startsWith('Builtin:') ? 'V8 builtins' : 'vm/native', label: name };
  const [, , fn, url, line] = match;
  const file = url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|build)\//, '$1/');
  return { owner: ownerOf(url), label: `${fn || '(anonymous)'} ${file}:${line}` };
}

/** Self instructions per function of a dump, as callgrind_annotate lists them (`Ir  file:function [object]`). */
function selfCosts(dumpFile: string): [number, string][] {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', dumpFile], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const costs: [number, string][] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \([^)]*\)\s+(.+)$/.exec(line);
    if (match !== null && !match[2].startsWith('PROGRAM TOTALS')) costs.push([Number(match[1].replace(/,/g, '')), match[2]]);
  }
  return costs;
}

/** Adds `value` to `record[key]`. */
function add(record: Record<string, number>, key: string, value: number): void {
  record[key] = (record[key] ?? 0) + value;
}

/** Attributes every function of a callgrind dump to its owner, naming JIT code through the perf map. */
export function attribute(dumpFile: string, perfMapFile: string): Attribution {
  const objects = readPerfMap(readFileSync(perfMapFile, 'utf8'));
  const byOwner: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  for (const [cost, entry] of selfCosts(dumpFile)) {
    const address = /^\?\?\?:0x([0-9a-f]+) /.exec(entry);
    const builtin = /^\?\?\?:Builtins_(\w+)/.exec(entry);
    let owner: string;
    let label: string;
    if (address !== null) {
      const code = codeAt(objects, Number.parseInt(address[1], 16));
      ({ owner, label } = code === undefined ? { owner: 'unnamed JIT code', label: 'unnamed JIT code' } : describeCode(code.name));
    } else if (builtin !== null) {
      owner = 'V8 builtins';
      label = builtin[1];
    } else {
      owner = 'native (node, libc, kernel interface)';
      label = entry.replace(/ \[.*\]$/, '');
    }
    add(byOwner, owner, cost);
    add(byFunction, `[${owner}] ${label}`, cost);
  }
  return { byOwner, byFunction };
}
