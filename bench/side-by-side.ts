/**
 * The budget's ratios measured side by side: the two servers of a pair share the server core and are loaded
 * at the same time, so whatever slows the machine during a window (another tenant, a throttled host) slows
 * both alike and cancels out of their ratio. Measured one after the other, as the interleaved rounds do, two
 * identical servers differed by a standard deviation of 12% per window on a noisy day; side by side, by 1.2%.
 * What remains is each process's own luck (memory layout, JIT decisions: 1-2% between two processes of
 * one configuration), so every line is measured on several pairs of fresh processes.
 */
import type { ConfigName, RouteSpec } from './configs';
import { runLoad } from './load';
import { allocatedKbPerRequest, busiestAttempt, cpuPerRequest, type WindowSettings } from './measure';
import type { NodeBinary } from './node-binaries';
import { ServerProcess } from './server-process';
import { median, quartiles } from './stats';

/** Two configurations compared on one route: `config`'s cost against `reference`'s. */
export interface Pairing {
  readonly route: string;
  readonly reference: ConfigName;
  readonly config: ConfigName;
}

/**
 * `rounds` are windows per process pair; `warmupSeconds` the load on each pair before its first window (long
 * enough for the optimizing compiler to take over); `minBusy` applies to the two servers together.
 */
export interface SideBySideSettings extends WindowSettings {
  /** Pairs of fresh server processes per pairing. */
  readonly processPairs: number;
}

/** One window: both servers' CPU per request over the same seconds. */
export interface PairWindow {
  readonly processPair: number;
  readonly round: number;
  readonly referenceCpuUs: number;
  readonly configCpuUs: number;
  readonly referenceRequests: number;
  readonly configRequests: number;
  /** Kilobytes allocated on V8's heap per request by each server: what the load on the machine does not move. */
  readonly referenceAllocatedKb: number;
  readonly configAllocatedKb: number;
  /** CPU seconds per second of both servers together: near 1 when they kept their shared core busy. */
  readonly busy: number;
  /** Responses of either server that were not 2xx, connection errors and timeouts: anything but 0 spoils the window. */
  readonly failures: number;
  readonly attempts: number;
}

export interface PairingResult extends Pairing {
  readonly windows: readonly PairWindow[];
  /** Median over windows of reference CPU / config CPU per request: `config`'s throughput on a saturated core. */
  readonly throughputRatio: number;
  readonly ratioIqr: readonly [number, number];
  /** Lowest and highest median ratio of one process pair: how much the processes themselves differed. */
  readonly processPairRange: readonly [number, number];
  /** Median over windows of config CPU - reference CPU per request, in microseconds. */
  readonly addedCpuUs: number;
  /** Median over windows of the configuration's allocated KB per request minus the reference's. */
  readonly addedAllocatedKb: number;
}

type Log = (line: string) => void;
type Pair = readonly [reference: ServerProcess, config: ServerProcess];

/** The window's ratio: the reference's CPU per request over the configuration's. */
const ratioOf = (window: PairWindow): number => window.referenceCpuUs / window.configCpuUs;

/** Failed requests over all windows of a pairing. */
export function pairingFailures(result: PairingResult): number {
  return result.windows.reduce((sum, window) => sum + window.failures, 0);
}

/**
 * Loads both servers at once; odd rounds start the config's load first, so neither always leads. Returns the
 * seconds it took and the failed requests of both.
 */
async function loadBoth(pair: Pair, route: RouteSpec, seconds: number, round: number): Promise<{ seconds: number; failures: number }> {
  const started = process.hrtime.bigint();
  const [first, second] = round % 2 === 1 ? [pair[1], pair[0]] : pair;
  const loads = await Promise.all([runLoad(first.url, route, { seconds }), runLoad(second.url, route, { seconds })]);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, failures: loads[0].failures + loads[1].failures };
}

async function measureOnce(pair: Pair, route: RouteSpec, round: number, settings: SideBySideSettings): Promise<Omit<PairWindow, 'processPair' | 'round' | 'attempts'>> {
  if (settings.rewarmSeconds > 0) await loadBoth(pair, route, settings.rewarmSeconds, round);
  await Promise.all(pair.map((server) => server.startWindow()));
  const { seconds, failures } = await loadBoth(pair, route, settings.seconds, round);
  const [reference, config] = await Promise.all(pair.map((server) => server.stopWindow()));
  return {
    failures,
    referenceCpuUs: cpuPerRequest(reference),
    configCpuUs: cpuPerRequest(config),
    referenceRequests: reference.requests,
    configRequests: config.requests,
    referenceAllocatedKb: allocatedKbPerRequest(reference),
    configAllocatedKb: allocatedKbPerRequest(config),
    busy: (reference.cpuMicros + config.cpuMicros) / 1e6 / seconds,
  };
}

async function measureWindow(pair: Pair, processPair: number, route: RouteSpec, round: number, settings: SideBySideSettings): Promise<PairWindow> {
  const { best, attempts } = await busiestAttempt(() => measureOnce(pair, route, round, settings), (attempt) => attempt.busy, settings);
  return { processPair, round, ...best, attempts };
}

async function startPair(node: NodeBinary, pairing: Pairing, settings: SideBySideSettings): Promise<Pair> {
  const start = (config: ConfigName): Promise<ServerProcess> => ServerProcess.start({ config, node: node.path, env: settings.serverEnv });
  const started = await Promise.allSettled([start(pairing.reference), start(pairing.config)]);
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  return [servers[0], servers[1]];
}

function summarise(pairing: Pairing, windows: readonly PairWindow[]): PairingResult {
  const ratios = windows.map(ratioOf);
  const processPairs = [...new Set(windows.map((window) => window.processPair))];
  const perPair = processPairs.map((index) => median(windows.filter((window) => window.processPair === index).map(ratioOf)));
  return {
    ...pairing,
    windows,
    throughputRatio: median(ratios),
    ratioIqr: quartiles(ratios),
    processPairRange: [Math.min(...perPair), Math.max(...perPair)],
    addedCpuUs: median(windows.map((window) => window.configCpuUs - window.referenceCpuUs)),
    addedAllocatedKb: median(windows.map((window) => window.configAllocatedKb - window.referenceAllocatedKb)),
  };
}

function describeWindow(pairing: Pairing, window: PairWindow): string {
  const ratio = ratioOf(window);
  return (
    `  p${window.processPair} r${window.round} ${pairing.route.padEnd(8)} ${pairing.reference}:${pairing.config}`.padEnd(52) +
    `${window.referenceCpuUs.toFixed(1)} : ${window.configCpuUs.toFixed(1)} us/req  ${window.referenceAllocatedKb.toFixed(2)} : ${window.configAllocatedKb.toFixed(2)} KB/req  ratio ${ratio.toFixed(3)}  busy ${window.busy.toFixed(2)}` +
    (window.attempts > 1 ? `  (best of ${window.attempts})` : '') +
    (window.failures > 0 ? `  FAILURES ${window.failures}` : '')
  );
}

/** Measures one pairing on `settings.processPairs` pairs of fresh servers, the pairs taking turns window by window. */
export async function measurePairing(node: NodeBinary, pairing: Pairing, route: RouteSpec, settings: SideBySideSettings, log: Log): Promise<PairingResult> {
  const pairs: Pair[] = [];
  try {
    for (let index = 0; index < settings.processPairs; index++) pairs.push(await startPair(node, pairing, settings));
    for (const pair of pairs) await loadBoth(pair, route, settings.warmupSeconds, 0);
    const windows: PairWindow[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [index, pair] of pairs.entries()) {
        const window = await measureWindow(pair, index + 1, route, round, settings);
        log(describeWindow(pairing, window));
        windows.push(window);
      }
    }
    return summarise(pairing, windows);
  } finally {
    await Promise.all(pairs.flat().map((server) => server.stop()));
  }
}
