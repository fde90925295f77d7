import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';

const MB = 1024 * 1024;

/** Durations of the model calls of this process, as DRUM's `/stats/` reports them under `time_info`. */
export class PredictorTimes {
  private count = 0;
  private total = 0;
  private min = Infinity;
  private max = 0;

  /** Runs `work`, recording how long it took in seconds (other requests served meanwhile included). */
  async time<T>(work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.count++;
      this.total += seconds;
      this.min = Math.min(this.min, seconds);
      this.max = Math.max(this.max, seconds);
    }
  }

  summary(): { count: number; total: number; min: number; max: number; avg: number } | Record<string, never> {
    if (this.count === 0) return {};
    return { count: this.count, total: this.total, min: this.min, max: this.max, avg: this.total / this.count };
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The first of the cgroup (v2, then v1) memory files that holds a number, in MB; `null` without a limit. */
function cgroupMegabytes(...paths: string[]): number | null {
  for (const path of paths) {
    const text = readText(path);
    if (text === undefined || text === 'max') continue;
    const bytes = Number(text);
    // cgroup v1 reports "no limit" as a huge number (near 2^63).
    if (Number.isFinite(bytes) && bytes < 2 ** 60) return Math.round(bytes / MB);
  }
  return null;
}

/** A field of /proc/meminfo in MB (Linux), or `fallback` elsewhere. */
function meminfoMegabytes(field: string, fallback: number): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readText('/proc/meminfo') ?? '');
  return Math.round((match ? Number(match[1]) * 1024 : fallback) / MB);
}

/** The `/stats/` answer, in DRUM's shape: memory in MB, this process, model call durations in seconds. */
export function serverStats(times: PredictorTimes): object {
  const rss = Math.round(process.memoryUsage().rss / MB);
  return {
    mem_info: {
      total: Math.round(totalmem() / MB),
      avail: meminfoMegabytes('MemAvailable', freemem()),
      free: meminfoMegabytes('MemFree', freemem()),
      drum_rss: rss,
      container_limit: cgroupMegabytes('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'),
      container_max_used: cgroupMegabytes('/sys/fs/cgroup/memory.peak', '/sys/fs/cgroup/memory/memory.max_usage_in_bytes'),
      container_used: cgroupMegabytes('/sys/fs/cgroup/memory.current', '/sys/fs/cgroup/memory/memory.usage_in_bytes'),
    },
    drum_info: [{ pid: process.pid, rss }],
    time_info: { run_predictor_total: times.summary() },
  };
}
