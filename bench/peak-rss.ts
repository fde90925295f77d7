import { readFileSync } from 'node:fs';

/** The peak resident set of process `pid` so far, in MB (Linux: `VmHWM` of /proc/<pid>/status). */
export function peakRssMegabytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}
