/**
 * `npm run bench:instructions`: the server's instructions per request, counted by valgrind's callgrind, for
 * each configuration and route, and (INSTR_PROFILE=1) where they go, by owner and function. A profiler, not a
 * throughput bench: an instruction count moves far less than CPU time with the machine (which here moves by
 * 3x from one day to the next), so it finds the code that costs where CPU time cannot. Its counts are not
 * native costs: under valgrind V8 reaches its optimizing tier late, so the counted window still holds
 * compilations and code of the tiers before it (and more of them when the machine is busy: V8 compiles on
 * background threads), and only user-space instructions are counted. Run it on an otherwise idle machine.
 *
 * Per configuration, route and round: a fresh server under `valgrind --tool=callgrind --instr-atstart=no`,
 * a warm-up with instrumentation off (the JIT settles at a tenth of native speed instead of a fiftieth),
 * instrumentation on, a full collection, a re-warm, counters zeroed, a window of INSTR_REQUESTS requests
 * (its spans flushed before it closes, so exports are counted), a dump; instructions / requests. Servers run
 * INSTR_JOBS at a time, unpinned: an instruction count does not care which core ran it.
 *
 * Environment: BENCH_NODES, BENCH_CONFIGS, BENCH_ROUTES as for `npm run bench`; INSTR_ROUNDS (2),
 * INSTR_WARMUP (2000 requests), INSTR_REQUESTS (2000), INSTR_JOBS (2), INSTR_PROFILE=1 (where the instructions
 * go, by owner and function), INSTR_KEEP=1 (keep the callgrind dumps and perf maps), INSTR_NODE_FLAGS (more flags for the servers).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attribute, PROFILE_FLAGS, type Attribution } from './instruction-profile';
import { exportsOtlp, flagsFromEnv, numberFromEnv, OTLP_URL_ENV, selectedConfigs, type ConfigName, type RouteSpec } from './configs';
import { runLoad } from './load';
import type { MeasureSettings } from './measure';
import { benchNodes, type NodeBinary } from './node-binaries';
import { startReceiver } from './otlp-receiver-process';
import { localDate, RESULTS_DIR } from './report';
import { selectedRoutes } from './routes';
import { ServerProcess } from './server-process';
import { median } from './stats';

const log = (line: string): void => console.log(line);

/** A collection before each window (see server.ts). */
const INSTR_FLAGS = ['--expose-gc'];

/** Requests to settle the JIT before counting starts, with instrumentation already on. */
const REWARM_REQUESTS = 500;

/** What is counted: the HTTP bench's configurations, routes and rounds, and how many requests. */
interface Settings extends Pick<MeasureSettings, 'configs' | 'routes' | 'rounds'> {
  /** Requests before instrumentation is switched on. */
  readonly warmup: number;
  /** Requests counted. */
  readonly requests: number;
  /** Servers under valgrind at once. */
  readonly jobs: number;
  /** Attribute the instructions to owners and functions (INSTR_PROFILE=1): the counts then include V8's perf map upkeep. */
  readonly profile: boolean;
  /** More flags for the servers' node (INSTR_NODE_FLAGS, space-separated). */
  readonly nodeFlags: readonly string[];
  /** Keep the callgrind dumps and V8's perf maps (INSTR_KEEP=1). */
  readonly keep: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Where the callgrind dumps go. */
  readonly dir: string;
}

/** One count: a configuration's route in one round. */
export interface InstructionCount {
  readonly config: ConfigName;
  readonly route: string;
  readonly round: number;
  readonly requests: number;
  readonly instructions: number;
  readonly attribution?: Attribution;
}

/** Medians over rounds, and the difference and ratio to `baseline`. */
export interface InstructionSummary {
  readonly config: ConfigName;
  readonly route: string;
  /** Instructions per request: the median over rounds, and the spread (min..max). */
  readonly perRequest: number;
  readonly spread: readonly [number, number];
  readonly addedPerRequest: number | null;
  /** `baseline` instructions / this configuration's. */
  readonly ratio: number | null;
}

function callgrind(pid: number, command: '--instr=on' | '--zero' | '--dump'): void {
  execFileSync('callgrind_control', [command, String(pid)], { stdio: 'ignore' });
}

/** The `summary:` line of a callgrind dump: every instruction counted since the last zeroing. */
export function dumpedInstructions(text: string): number {
  const match = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
  if (match === null) throw new Error('callgrind dump without a summary line');
  return Number(match[1]);
}

async function countOnce(node: NodeBinary, config: ConfigName, route: RouteSpec, round: number, settings: Settings): Promise<InstructionCount | undefined> {
  const prefix = join(settings.dir, `${config.replace(/\W/g, '_')}-${route.name}-${round}`);
  const launcher = ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all', `--callgrind-out-file=${prefix}.%p`];
  const execArgv = [...INSTR_FLAGS, ...(settings.profile ? PROFILE_FLAGS : []), ...settings.nodeFlags];
  const server = await ServerProcess.start({ config, node: node.path, env: settings.env, launcher, execArgv, pinned: false, cwd: settings.dir });
  try {
    if (!server.routes.includes(route.name)) return undefined;
    await runLoad(server.url, route, { amount: settings.warmup });
    callgrind(server.pid, '--instr=on');
    // The window's collection first, then the re-warm: the code a full collection flushes is compiled again
    // before counting starts.
    await server.startWindow();
    await runLoad(server.url, route, { amount: REWARM_REQUESTS });
    callgrind(server.pid, '--zero');
    const { requests } = await runLoad(server.url, route, { amount: settings.requests });
    await server.stopWindow();
    callgrind(server.pid, '--dump');
    const dump = `${prefix}.${server.pid}.1`;
    const instructions = dumpedInstructions(readFileSync(dump, 'utf8'));
    const attribution = settings.profile ? attributeAndClean(dump, server.pid, settings) : undefined;
    return { config, route: route.name, round, requests, instructions, attribution };
  } finally {
    await server.stop();
  }
}

/** The attribution of a dump; V8's perf map of the server (in /tmp, tens of MB) is removed unless INSTR_KEEP=1. */
function attributeAndClean(dump: string, pid: number, settings: Settings): Attribution {
  const perfMap = `/tmp/perf-${pid}.map`;
  try {
    return attribute(dump, perfMap);
  } finally {
    if (!settings.keep) rmSync(perfMap, { force: true });
  }
}

/** Runs `tasks` at most `jobs` at a time, keeping their order in the result. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < tasks.length; index = next++) results[index] = await tasks[index]();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

export function summariseInstructions(counts: readonly InstructionCount[]): InstructionSummary[] {
  const keys = [...new Set(counts.map((count) => `${count.route}\u0000${count.config}`))];
  const perRequest = (route: string, config: ConfigName): number[] =>
    counts.filter((count) => count.route === route && count.config === config).map((count) => count.instructions / count.requests);
  return keys.map((key) => {
    const [route, config] = key.split('\u0000') as [string, ConfigName];
    const values = perRequest(route, config);
    const baseline = median(perRequest(route, 'baseline'));
    const value = median(values);
    const hasBaseline = config !== 'baseline' && !Number.isNaN(baseline);
    return {
      config,
      route,
      perRequest: value,
      spread: [Math.min(...values), Math.max(...values)],
      addedPerRequest: hasBaseline ? value - baseline : null,
      ratio: hasBaseline ? baseline / value : null,
    };
  });
}

const thousands = (value: number): string => `${(value / 1000).toFixed(1)}k`;

export function instructionTable(summaries: readonly InstructionSummary[]): string {
  const rows = summaries.map(
    (s) =>
      `| ${s.route} | ${s.config} | ${thousands(s.perRequest)} | ${thousands(s.spread[0])}..${thousands(s.spread[1])} | ` +
      `${s.addedPerRequest === null ? '' : `${s.addedPerRequest >= 0 ? '+' : ''}${thousands(s.addedPerRequest)}`} | ` +
      `${s.ratio === null ? '' : s.ratio.toFixed(3)} |`,
  );
  return [
    '| route | configuration | instructions/request | min..max over rounds | + vs baseline | baseline / this |',
    '|---|---|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}

/** Per request, the first round's attribution of each configuration minus baseline's, largest first. */
function differences(count: InstructionCount, baseline: InstructionCount, pick: (attribution: Attribution) => Record<string, number>): [string, number][] {
  const mine = pick(count.attribution!);
  const theirs = pick(baseline.attribution!);
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  return [...keys]
    .map((key): [string, number] => [key, (mine[key] ?? 0) / count.requests - (theirs[key] ?? 0) / baseline.requests])
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
}

/** Where each configuration's added instructions go: by owner, then the functions that changed most. */
export function attributionReport(counts: readonly InstructionCount[]): string {
  const lines: string[] = ['### Where the added instructions go (first round, per request, vs baseline)'];
  const firsts = counts.filter((count) => count.round === 1 && count.attribution !== undefined);
  for (const count of firsts) {
    const baseline = firsts.find((candidate) => candidate.route === count.route && candidate.config === 'baseline');
    if (baseline === undefined || count === baseline) continue;
    const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(0)}`;
    const owners = differences(count, baseline, (a) => a.byOwner).filter(([, value]) => Math.abs(value) >= 100);
    const functions = differences(count, baseline, (a) => a.byFunction).slice(0, 15);
    lines.push(
      '',
      `${count.route}, ${count.config}: ${signed(count.instructions / count.requests - baseline.instructions / baseline.requests)} instructions per request`,
      '',
      ...owners.map(([owner, value]) => `- ${signed(value)} ${owner}`),
      '',
      'functions:',
      '',
      ...functions.map(([name, value]) => `- ${signed(value)} ${name}`),
    );
  }
  return lines.join('\n');
}

async function measureNode(node: NodeBinary, settings: Settings): Promise<InstructionCount[]> {
  const tasks = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const route of settings.routes) {
      for (const config of settings.configs) tasks.push(() => countOnce(node, config, route, round, settings));
    }
  }
  const counts = await pool(tasks, settings.jobs);
  return counts.filter((count): count is InstructionCount => count !== undefined);
}

async function main(): Promise<void> {
  const configs = selectedConfigs();
  const receiver = configs.some(exportsOtlp) ? await startReceiver() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'drum-otel-callgrind-'));
  const settings: Settings = {
    configs,
    routes: selectedRoutes(),
    rounds: Math.round(numberFromEnv('INSTR_ROUNDS', 2)),
    warmup: Math.round(numberFromEnv('INSTR_WARMUP', 2000)),
    requests: Math.round(numberFromEnv('INSTR_REQUESTS', 2000)),
    jobs: Math.round(numberFromEnv('INSTR_JOBS', 2)),
    profile: process.env.INSTR_PROFILE === '1',
    nodeFlags: flagsFromEnv('INSTR_NODE_FLAGS'),
    keep: process.env.INSTR_KEEP === '1',
    env: { ...process.env, ...(receiver ? { [OTLP_URL_ENV]: receiver.url } : {}) },
    dir,
  };
  const sections: string[] = [];
  try {
    for (const node of benchNodes(log)) {
      log(`Node ${node.version}: ${settings.configs.length} configurations x ${settings.routes.length} routes x ${settings.rounds} rounds under callgrind`);
      const counts = await measureNode(node, settings);
      const summaries = summariseInstructions(counts);
      const breakdown = settings.profile ? `\n\n${attributionReport(counts)}` : '';
      const section = `## Node ${node.version}\n\n${instructionTable(summaries)}${breakdown}`;
      log(`\n${section}\n`);
      sections.push(section);
    }
  } finally {
    await receiver?.stop();
    if (settings.keep) log(`callgrind dumps kept in ${dir}, V8's perf maps in /tmp/perf-<pid>.map`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const file = join(RESULTS_DIR, `${localDate()}-instructions.md`);
  const header =
    `# drum-otel instructions per request, ${localDate()}\n\n` +
    `valgrind --tool=callgrind, ${settings.warmup} warm-up requests, ${REWARM_REQUESTS} re-warm, ${settings.requests} counted per ` +
    `round, ${settings.rounds} rounds (a fresh server each); medians over rounds. User-space instructions of the server ` +
    "process only (the kernel's share of a request is not counted), JIT compilations in the window included: a profile, " +
    'not native costs (bench/README.md).';
  writeFileSync(file, `${header}\n\n${sections.join('\n\n')}\n`);
  log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
