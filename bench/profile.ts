/**
 * A CPU profile of one bench server under load, summarised for the parts that are ours to optimise:
 * `npm run build:all && node build/bench/profile.js` profiles the `drum-otel` server on the echo route;
 * `node build/bench/profile.js some.cpuprofile [requests]` only summarises an existing profile.
 *
 * Environment: PROFILE_CONFIG (drum-otel), PROFILE_ROUTE (echo), PROFILE_SECONDS (10), PROFILE_NODE
 * (a Node binary; this process's by default), PROFILE_INTERVAL_US (200).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConfigName, numberFromEnv, type ConfigName } from './configs';
import { runLoad } from './load';
import { ownerOf } from './owners';
import { LOAD_CORE, pinSelf } from './pinning';
import { ROUTES } from './routes';
import { ServerProcess } from './server-process';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
}

const isOurs = (owner: string): boolean => owner === 'drum-otel (dist)' || owner === '@opentelemetry';

function label(frame: CallFrame): string {
  const file = frame.url === '' ? '' : ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${file}`;
}

/** A sample's node and the microseconds it stands for (the time until the next sample). */
interface TimedSample {
  readonly id: number;
  readonly us: number;
}

/** The samples taken between `fromUs` and `toUs` on the profile's clock (all of them without bounds). */
function samplesBetween(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): TimedSample[] {
  const samples: TimedSample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (at >= fromUs && at <= toUs) samples.push({ id: profile.samples[i], us: profile.timeDeltas[i + 1] ?? 0 });
  }
  return samples;
}

function parents(profile: CpuProfile): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  return parentOf;
}

function addTo(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function top(map: Map<string, number>, count: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
}

const PSEUDO_FRAMES = new Set(['(garbage collector)', '(program)', '(root)']);
/** Owners that do work for whoever calls them: their time belongs to the nearest caller that is not one. */
const RUNTIME_OWNERS = new Set(['node core', 'vm/native']);

/**
 * The library or package a sample's time is spent for: walking up from the leaf past Node's core and native
 * frames, the first other frame's owner (so `crypto.randomFillSync` under the SDK's id generator counts as
 * @opentelemetry). Samples with nothing but runtime frames (socket I/O, async hooks' own bookkeeping) stay
 * with the runtime.
 */
function spentFor(id: number, byId: Map<number, ProfileNode>, parentOf: Map<number, number>): { owner: string; frame: CallFrame } {
  const leaf = byId.get(id)!.callFrame;
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const frame = byId.get(current)!.callFrame;
    if (PSEUDO_FRAMES.has(frame.functionName)) break;
    const owner = ownerOf(frame.url);
    if (!RUNTIME_OWNERS.has(owner)) return { owner, frame };
  }
  return { owner: PSEUDO_FRAMES.has(leaf.functionName) ? leaf.functionName : ownerOf(leaf.url), frame: leaf };
}

/**
 * The summary as text: self time by owner; the top self-time functions of drum-otel's dist/ and of
 * @opentelemetry; and time "spent for" each owner (runtime frames charged to their nearest non-runtime caller).
 */
export function summarise(profile: CpuProfile, requests: number | undefined, window?: { fromUs: number; toUs: number }): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = parents(profile);
  const byOwner = new Map<string, number>();
  const spentByOwner = new Map<string, number>();
  const ourFunctions = new Map<string, number>();
  const spentForOurs = new Map<string, number>();
  let busy = 0;
  for (const { id, us } of samplesBetween(profile, window?.fromUs, window?.toUs)) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const owner = PSEUDO_FRAMES.has(frame.functionName) ? frame.functionName : ownerOf(frame.url);
    addTo(byOwner, owner, us);
    if (isOurs(owner)) addTo(ourFunctions, `[${owner}] ${label(frame)}`, us);
    const spent = spentFor(id, byId, parentOf);
    addTo(spentByOwner, spent.owner, us);
    if (isOurs(spent.owner)) addTo(spentForOurs, `[${spent.owner}] ${label(spent.frame)}`, us);
  }
  const perRequest = (us: number): string => (requests ? `  ${(us / requests).toFixed(2).padStart(6)} us/req` : '');
  const line = (key: string, us: number): string => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%${perRequest(us)}  ${key}`;
  return [
    `busy (non-idle) samples ${(busy / 1000).toFixed(0)} ms${requests ? ` over ${requests} requests = ${(busy / requests).toFixed(1)} us/req` : ''}`,
    'self time by owner:',
    ...top(byOwner, 12).map(([key, us]) => line(key, us)),
    'time spent for each owner (Node core/native frames charged to their nearest caller):',
    ...top(spentByOwner, 12).map(([key, us]) => line(key, us)),
    'top self-time functions of drum-otel dist/ and @opentelemetry:',
    ...top(ourFunctions, 20).map(([key, us]) => line(key, us)),
    'top functions of drum-otel dist/ and @opentelemetry by time spent for them (self + runtime callees):',
    ...top(spentForOurs, 12).map(([key, us]) => line(key, us)),
  ].join('\n');
}

interface ProfiledWindow {
  readonly file: string;
  readonly requests: number;
  readonly cpuMicros: number;
  readonly fromUs: number;
  readonly toUs: number;
}

/** Profiles the whole server process, and reports the measured window within it (warm-up left out). */
async function profileServer(config: ConfigName, routeName: string): Promise<ProfiledWindow> {
  const route = ROUTES.find((candidate) => candidate.name === routeName);
  if (route === undefined) throw new Error(`PROFILE_ROUTE: unknown route ${routeName}`);
  const seconds = numberFromEnv('PROFILE_SECONDS', 10);
  const interval = Math.round(numberFromEnv('PROFILE_INTERVAL_US', 200));
  const directory = mkdtempSync(join(tmpdir(), 'drum-otel-profile-'));
  const node = process.env.PROFILE_NODE || process.execPath;
  const server = await ServerProcess.start({
    config,
    node,
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${directory}`, `--cpu-prof-interval=${interval}`],
  });
  try {
    if (!server.routes.includes(route.name)) throw new Error(`${config} does not serve ${route.name}: ${server.notes.join('; ')}`);
    await runLoad(server.url, route, { seconds: 3 });
    await server.startWindow();
    await runLoad(server.url, route, { seconds });
    const usage = await server.stopWindow();
    await server.stop();
    const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile was written into ${directory}`);
    return { file: join(directory, file), requests: usage.requests, cpuMicros: usage.cpuMicros, fromUs: usage.startedAtUs, toUs: usage.stoppedAtUs };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const [existing, requestsArgument] = process.argv.slice(2);
  if (existing !== undefined) {
    const profile = JSON.parse(readFileSync(existing, 'utf8')) as CpuProfile;
    console.log(summarise(profile, requestsArgument === undefined ? undefined : Number(requestsArgument)));
    return;
  }
  pinSelf(LOAD_CORE);
  const config = process.env.PROFILE_CONFIG ?? 'drum-otel';
  if (!isConfigName(config)) throw new Error(`PROFILE_CONFIG: unknown configuration ${config}`);
  const routeName = process.env.PROFILE_ROUTE ?? 'echo';
  const window = await profileServer(config, routeName);
  const text = summarise(JSON.parse(readFileSync(window.file, 'utf8')) as CpuProfile, window.requests, window);
  const header =
    `profile ${window.file}\n${config} on ${routeName}, Node ${process.env.PROFILE_NODE ? 'from PROFILE_NODE' : process.version}; ` +
    `measured window only: ${window.requests} requests, process CPU ${(window.cpuMicros / window.requests).toFixed(1)} us/req ` +
    '(with the profiler running)';
  console.log(`${header}\n${text}`);
  // Beside the profile, outside the repository: results/ keeps only what is meant to be committed.
  writeFileSync(window.file.replace(/\.cpuprofile$/, '.summary.txt'), `${header}\n${text}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
