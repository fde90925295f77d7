/** Medians over rounds, and each configuration against `baseline` paired round by round. */
import type { ConfigName } from './configs';
import { allocatedKbPerRequest, busyness, cpuPerRequest, type NodePass, type WindowResult } from './measure';
import { median, quartiles } from './stats';

export interface Summary {
  readonly config: ConfigName;
  readonly route: string;
  readonly rounds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  /** Kilobytes allocated on V8's heap per request: independent of the machine's load, unlike the CPU. */
  readonly allocatedKbPerRequest: number;
  /**
   * Server CPU seconds per second of load (req/s x CPU/req): near 1 when the server was the bottleneck, as
   * it must be; well below 1 means it waited (for the load generator, or for a core something else took).
   */
  readonly serverBusy: number;
  /** Spans exported per request; `null` without an SDK. */
  readonly spansPerRequest: number | null;
  /** Median over rounds of (this req/s / baseline req/s of the same round and route). */
  readonly throughputVsBaseline: number | null;
  /** Median over rounds of (this CPU us/req - baseline's of the same round and route). */
  readonly addedCpuUs: number | null;
  /** Interquartile range over rounds of that paired difference: the noise the median is read against. */
  readonly addedCpuIqr: readonly [number, number] | null;
  readonly failures: number;
}

const windowCpu = (window: WindowResult): number => cpuPerRequest(window.usage);

function spansPerRequest(window: WindowResult): number | null {
  return window.usage.spans === null || window.usage.requests === 0 ? null : window.usage.spans / window.usage.requests;
}

/** `pick(window, baseline window of the same round)` for every round that has a baseline. */
function paired(
  windows: readonly WindowResult[],
  baselines: readonly WindowResult[],
  pick: (window: WindowResult, baseline: WindowResult) => number,
): number[] {
  return windows.flatMap((window) => {
    const baseline = baselines.find((candidate) => candidate.round === window.round);
    return baseline === undefined ? [] : [pick(window, baseline)];
  });
}

const medianOrNull = (values: readonly number[]): number | null => (values.length === 0 ? null : median(values));

function summarise(windows: readonly WindowResult[], baselines: readonly WindowResult[]): Summary {
  const spans = windows.map(spansPerRequest);
  const addedCpu = paired(windows, baselines, (w, b) => windowCpu(w) - windowCpu(b));
  return {
    config: windows[0].config,
    route: windows[0].route,
    rounds: windows.length,
    requestsPerSecond: median(windows.map((window) => window.load.requestsPerSecond)),
    p50Ms: median(windows.map((window) => window.load.p50Ms)),
    p99Ms: median(windows.map((window) => window.load.p99Ms)),
    cpuUsPerRequest: median(windows.map(windowCpu)),
    allocatedKbPerRequest: median(windows.map((window) => allocatedKbPerRequest(window.usage))),
    serverBusy: median(windows.map(busyness)),
    spansPerRequest: spans.includes(null) ? null : median(spans as number[]),
    throughputVsBaseline: medianOrNull(paired(windows, baselines, (w, b) => w.load.requestsPerSecond / b.load.requestsPerSecond)),
    addedCpuUs: medianOrNull(addedCpu),
    addedCpuIqr: addedCpu.length === 0 ? null : quartiles(addedCpu),
    failures: windows.reduce((sum, window) => sum + window.load.failures, 0),
  };
}

/** One summary per (route, configuration) measured, routes in their order, configurations in theirs. */
export function summarisePass(pass: NodePass, configs: readonly ConfigName[], routes: readonly string[]): Summary[] {
  return routes.flatMap((route) => {
    const ofRoute = pass.windows.filter((window) => window.route === route);
    const baselines = ofRoute.filter((window) => window.config === 'baseline');
    return configs.flatMap((config) => {
      const windows = ofRoute.filter((window) => window.config === config);
      return windows.length === 0 ? [] : [summarise(windows, baselines)];
    });
  });
}
