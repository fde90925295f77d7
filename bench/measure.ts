/**
 * One pass of the bench under one Node binary: a server per configuration, warm-up, then measured windows
 * interleaved round by round (A B C ... A B C ...), so a drift of the machine spreads over every
 * configuration instead of landing on one.
 */
import type { ConfigName, RouteSpec } from './configs';
import { runLoad, type LoadResult } from './load';
import type { NodeBinary } from './node-binaries';
import type { WindowUsage } from './protocol';
import { ServerProcess } from './server-process';

/** How windows are measured, in the interleaved rounds and side by side alike. */
export interface WindowSettings {
  readonly rounds: number;
  readonly warmupSeconds: number;
  /** A short load right before each window: the server sat idle while the others were measured. */
  readonly rewarmSeconds: number;
  readonly seconds: number;
  /**
   * A window whose server was busy (CPU seconds per second) less than this is measured again, at most
   * `maxAttempts` times in all, keeping the busiest attempt: on a shared machine something else can take the
   * server's core for a while, and such a window measures that, not the configuration.
   */
  readonly minBusy: number;
  readonly maxAttempts: number;
  /** Environment for the servers (the OTLP receiver's URL). */
  readonly serverEnv: NodeJS.ProcessEnv;
}

export interface MeasureSettings extends WindowSettings {
  readonly configs: readonly ConfigName[];
  readonly routes: readonly RouteSpec[];
}

export interface WindowResult {
  readonly config: ConfigName;
  readonly route: string;
  readonly round: number;
  readonly load: LoadResult;
  readonly usage: WindowUsage;
  readonly attempts: number;
}

export interface NodePass {
  readonly node: NodeBinary;
  readonly windows: readonly WindowResult[];
  /** Routes some configuration could not serve, and why. */
  readonly notes: readonly string[];
}

type Log = (line: string) => void;

async function startServers(node: NodeBinary, settings: MeasureSettings, log: Log): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  try {
    for (const config of settings.configs) {
      servers.push(await ServerProcess.start({ config, node: node.path, env: settings.serverEnv }));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  log(`  servers up: ${servers.map((server) => `${server.config}:${server.port}`).join(' ')}`);
  return servers;
}

/** The (server, route) pairs to measure, in report order: each route on every server that serves it. */
function measuredPairs(servers: readonly ServerProcess[], routes: readonly RouteSpec[]): [ServerProcess, RouteSpec][] {
  return routes.flatMap((route) =>
    servers.filter((server) => server.routes.includes(route.name)).map((server): [ServerProcess, RouteSpec] => [server, route]),
  );
}

/**
 * The pairs in round `round`'s order: routes as given, and within each route the configurations rotated by
 * one per round, so that no configuration always runs first (right after the other route) or last.
 */
function roundOrder(pairs: readonly [ServerProcess, RouteSpec][], round: number): [ServerProcess, RouteSpec][] {
  const routes = [...new Set(pairs.map(([, route]) => route))];
  return routes.flatMap((route) => {
    const ofRoute = pairs.filter(([, candidate]) => candidate === route);
    const shift = (round - 1) % ofRoute.length;
    return [...ofRoute.slice(shift), ...ofRoute.slice(0, shift)];
  });
}

function notesOf(servers: readonly ServerProcess[], routes: readonly RouteSpec[]): string[] {
  // The same note from every server is said once, naming the configurations it came from.
  const byNote = new Map<string, ConfigName[]>();
  for (const server of servers) for (const note of server.notes) byNote.set(note, [...(byNote.get(note) ?? []), server.config]);
  const notes = [...byNote].map(([note, configs]) => (configs.length === servers.length ? note : `${configs.join(', ')}: ${note}`));
  for (const route of routes) {
    const without = servers.filter((server) => !server.routes.includes(route.name)).map((server) => server.config);
    if (without.length > 0) notes.push(`route ${route.name} (${route.path}) not measured on: ${without.join(', ')}`);
  }
  return notes;
}

/** Server CPU seconds per second of load: about 1 when the server was the bottleneck throughout. */
export function busyness(window: Pick<WindowResult, 'load' | 'usage'>): number {
  return window.usage.cpuMicros / 1e6 / window.load.seconds;
}

async function measureOnce(server: ServerProcess, route: RouteSpec, settings: MeasureSettings): Promise<Pick<WindowResult, 'load' | 'usage'>> {
  if (settings.rewarmSeconds > 0) await runLoad(server.url, route, { seconds: settings.rewarmSeconds });
  await server.startWindow();
  const load = await runLoad(server.url, route, { seconds: settings.seconds });
  const usage = await server.stopWindow();
  return { load, usage };
}

/** CPU microseconds per request the server received over a window (NaN when it received none). */
export function cpuPerRequest(usage: WindowUsage): number {
  return usage.requests > 0 ? usage.cpuMicros / usage.requests : Number.NaN;
}

/** Kilobytes (1024 bytes) the server allocated on V8's heap per request it received over a window (NaN when none). */
export function allocatedKbPerRequest(usage: WindowUsage): number {
  return usage.requests > 0 ? usage.allocatedBytes / 1024 / usage.requests : Number.NaN;
}

/**
 * Measures a window with `once` and, while the server side was less busy than `settings.minBusy`, again, at
 * most `settings.maxAttempts` times in all: the busiest attempt and how many there were.
 */
export async function busiestAttempt<T>(once: () => Promise<T>, busy: (attempt: T) => number, settings: WindowSettings): Promise<{ best: T; attempts: number }> {
  let best = await once();
  let attempts = 1;
  while (busy(best) < settings.minBusy && attempts < settings.maxAttempts) {
    const retry = await once();
    attempts++;
    if (busy(retry) > busy(best)) best = retry;
  }
  return { best, attempts };
}

async function measureWindow(server: ServerProcess, route: RouteSpec, round: number, settings: MeasureSettings): Promise<WindowResult> {
  const { best, attempts } = await busiestAttempt(() => measureOnce(server, route, settings), busyness, settings);
  return { config: server.config, route: route.name, round, ...best, attempts };
}

function describeWindow(window: WindowResult): string {
  const { load, usage } = window;
  const cpu = cpuPerRequest(usage);
  const failures = load.failures > 0 ? `  FAILURES ${load.failures}` : '';
  const retried = window.attempts > 1 ? `  (best of ${window.attempts})` : '';
  return (
    `  r${window.round} ${window.route.padEnd(8)} ${window.config.padEnd(15)} ${load.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
    `  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms  ${cpu.toFixed(1)} us/req  ${allocatedKbPerRequest(usage).toFixed(2)} KB/req  busy ${busyness(window).toFixed(2)}${retried}${failures}`
  );
}

export async function measureNode(node: NodeBinary, settings: MeasureSettings, log: Log): Promise<NodePass> {
  log(`Node ${node.version} (${node.path})`);
  const servers = await startServers(node, settings, log);
  try {
    const pairs = measuredPairs(servers, settings.routes);
    log(`  warm-up ${settings.warmupSeconds} s per server and route`);
    for (const [server, route] of pairs) await runLoad(server.url, route, { seconds: settings.warmupSeconds });
    const windows: WindowResult[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [server, route] of roundOrder(pairs, round)) {
        const window = await measureWindow(server, route, round, settings);
        log(describeWindow(window));
        windows.push(window);
      }
    }
    return { node, windows, notes: notesOf(servers, settings.routes) };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
