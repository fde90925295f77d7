/** The files of one Node version's results: JSON (all windows), a Markdown table and an SVG bar chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { verdict, type BudgetCheck } from './budget';
import { CONNECTIONS } from './load';
import type { MeasureSettings, NodePass } from './measure';
import { pairingFailures, type PairingResult, type SideBySideSettings } from './side-by-side';
import { round } from './stats';
import type { Summary } from './summary';

/** bench/results in the source tree (this file runs from build/bench). */
export const RESULTS_DIR = join(__dirname, '..', '..', 'bench', 'results');

/** Today as `YYYY-MM-DD`, local time: the results' file names. */
export function localDate(): string {
  const now = new Date();
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export interface PassReport {
  readonly date: string;
  readonly pass: NodePass;
  readonly settings: MeasureSettings;
  readonly pinned: boolean;
  readonly summaries: readonly Summary[];
  /** `undefined` when the budget's pairings were not measured (BENCH_SIDE_BY_SIDE=0). */
  readonly sideBySide: SideBySideSettings | undefined;
  readonly pairings: readonly PairingResult[];
  readonly budget: readonly BudgetCheck[];
}

const fixed = (value: number | null, digits: number): string => (value === null || Number.isNaN(value) ? '-' : value.toFixed(digits));
const signed = (value: number | null): string => (value === null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}`);

const signedKb = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;

const iqr = (range: readonly [number, number] | null): string => (range === null ? '-' : `${signed(range[0])}..${signed(range[1])}`);

/** Below this median busyness a row's req/s (and every ratio built on it) measured the machine, not the code. */
const UNRELIABLE_BUSY = 0.9;

export function markdownTable(summaries: readonly Summary[]): string {
  const header = [
    '| route | configuration | req/s | x baseline | p50 ms | p99 ms | CPU us/req | +us vs baseline | IQR of +us | KB alloc/req | server busy | spans/req |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const rows = summaries.map(
    (s) =>
      `| ${s.route} | ${s.config}${s.failures > 0 ? ` (${s.failures} failed)` : ''} | ${fixed(s.requestsPerSecond, 0)} | ` +
      `${fixed(s.throughputVsBaseline, 3)} | ${fixed(s.p50Ms, 2)} | ${fixed(s.p99Ms, 2)} | ${fixed(s.cpuUsPerRequest, 1)} | ` +
      `${s.config === 'baseline' ? '' : signed(s.addedCpuUs)} | ${s.config === 'baseline' ? '' : iqr(s.addedCpuIqr)} | ${fixed(s.allocatedKbPerRequest, 2)} | ${fixed(s.serverBusy, 2)}${s.serverBusy < UNRELIABLE_BUSY ? ' (!)' : ''} | ` +
      `${fixed(s.spansPerRequest, 2)} |`,
  );
  const warning = summaries.some((s) => s.serverBusy < UNRELIABLE_BUSY)
    ? ['', `(!) server busy < ${UNRELIABLE_BUSY} even after retries: something else used the server's core; req/s and ratios of that row are not trustworthy, rerun on a quiet machine.`]
    : [];
  return [...header, ...rows, ...warning].join('\n');
}

/** The budget's pairings: each configuration's throughput and added CPU against the server it ran beside. */
export function sideBySideTable(pairings: readonly PairingResult[]): string {
  const header = [
    '| route | configuration | beside | x req/s | IQR over windows | range over process pairs | +us CPU/req | +KB alloc/req | windows |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  const range = ([low, high]: readonly [number, number]): string => `${low.toFixed(3)}..${high.toFixed(3)}`;
  const failed = (p: PairingResult): string => {
    const failures = pairingFailures(p);
    return failures > 0 ? ` (${failures} failed)` : '';
  };
  const rows = pairings.map(
    (p) =>
      `| ${p.route} | ${p.config}${failed(p)} | ${p.reference} | ${p.throughputRatio.toFixed(3)} | ${range(p.ratioIqr)} | ` +
      `${range(p.processPairRange)} | ${signed(p.addedCpuUs)} | ${signedKb(p.addedAllocatedKb)} | ${p.windows.length} |`,
  );
  return [...header, ...rows].join('\n');
}

export function budgetLines(budget: readonly BudgetCheck[]): string[] {
  return budget.map(
    (check) =>
      `- ${verdict(check)}: ${check.goal} (${check.met === null ? '' : 'measured '}${check.measured}` +
      `${check.ceiling === undefined ? '' : `; no tracer can read more than ${check.ceiling}`})`,
  );
}

function describeSideBySide(settings: SideBySideSettings): string {
  return (
    `Each pairing below ran side by side: its two servers pinned together to core 1 and loaded at the same time ` +
    `(${CONNECTIONS} connections each), on ${settings.processPairs} pairs of fresh processes, each pair warmed up for ` +
    `${settings.warmupSeconds} s, then ${settings.rounds} windows of ${settings.seconds} s per pair (each after ` +
    `${settings.rewarmSeconds} s of re-warm, measured again up to ${settings.maxAttempts} times in all when the two kept ` +
    `their core less than ${settings.minBusy} busy). "x req/s" is the median over windows of the server beside's CPU per ` +
    'request over this configuration\'s: its requests per second on a saturated core, relative to the other\'s. ' +
    'A slow spell of the machine slows both servers of a window alike, so these ratios hold on days the table above cannot resolve.'
  );
}

function describeSetup(report: PassReport): string {
  const { settings, pass } = report;
  return (
    `Node ${pass.node.version}, ${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}; ` +
    `${report.pinned ? 'server pinned to core 1, load generator (autocannon) and OTLP receiver on core 0' : 'no CPU pinning (taskset unavailable)'}; ` +
    `${CONNECTIONS} connections, warm-up ${settings.warmupSeconds} s, ${settings.rounds} interleaved rounds of ` +
    `${settings.seconds} s (each after ${settings.rewarmSeconds} s of re-warm, measured again up to ${settings.maxAttempts} times in all ` +
    `when the server was less than ${settings.minBusy} busy); medians over rounds, ratios and ` +
    'added CPU paired with baseline round by round. CPU is the server process\'s user+system time over the window; ' +
    '"server busy" is its CPU seconds per second of load (near 1: the server was the bottleneck, as intended).'
  );
}

export function markdownReport(report: PassReport): string {
  const notes = report.pass.notes.map((note) => `- ${note}`);
  return [
    `# drum-otel bench, ${report.date}, Node ${report.pass.node.version}`,
    '',
    describeSetup(report),
    '',
    markdownTable(report.summaries),
    '',
    '## Side by side',
    '',
    ...(report.sideBySide === undefined ? ['Not measured (BENCH_SIDE_BY_SIDE=0).'] : [describeSideBySide(report.sideBySide), '', sideBySideTable(report.pairings)]),
    '',
    '## Budget (measured side by side)',
    '',
    ...budgetLines(report.budget),
    ...(notes.length > 0 ? ['', '## Notes', '', ...notes] : []),
    '',
  ].join('\n');
}

/** The side-by-side settings without the servers' environment (the caller's whole environment). */
function sideBySideJson({ serverEnv: _serverEnv, ...settings }: SideBySideSettings): Omit<SideBySideSettings, 'serverEnv'> {
  return settings;
}

/** Everything measured, rounded so that the file stays small and diffable. */
function jsonReport(report: PassReport): unknown {
  const { pass, settings } = report;
  return {
    date: report.date,
    node: pass.node.version,
    cpu: cpus()[0]?.model.trim(),
    pinned: report.pinned,
    settings: {
      connections: CONNECTIONS,
      rounds: settings.rounds,
      warmupSeconds: settings.warmupSeconds,
      rewarmSeconds: settings.rewarmSeconds,
      seconds: settings.seconds,
      minBusy: settings.minBusy,
      maxAttempts: settings.maxAttempts,
    },
    summaries: report.summaries.map((s) => ({
      ...s,
      requestsPerSecond: round(s.requestsPerSecond, 0),
      p50Ms: round(s.p50Ms, 3),
      p99Ms: round(s.p99Ms, 3),
      cpuUsPerRequest: round(s.cpuUsPerRequest, 1),
      allocatedKbPerRequest: round(s.allocatedKbPerRequest, 2),
      serverBusy: round(s.serverBusy, 3),
      spansPerRequest: s.spansPerRequest === null ? null : round(s.spansPerRequest, 3),
      throughputVsBaseline: s.throughputVsBaseline === null ? null : round(s.throughputVsBaseline, 4),
      addedCpuUs: s.addedCpuUs === null ? null : round(s.addedCpuUs, 1),
      addedCpuIqr: s.addedCpuIqr === null ? null : s.addedCpuIqr.map((value) => round(value, 1)),
    })),
    sideBySide: report.sideBySide === undefined ? null : sideBySideJson(report.sideBySide),
    pairings: report.pairings.map((p) => ({
      ...p,
      throughputRatio: round(p.throughputRatio, 4),
      ratioIqr: p.ratioIqr.map((value) => round(value, 4)),
      processPairRange: p.processPairRange.map((value) => round(value, 4)),
      addedCpuUs: round(p.addedCpuUs, 1),
      addedAllocatedKb: round(p.addedAllocatedKb, 2),
      windows: p.windows.map((w) => ({
        ...w,
        referenceCpuUs: round(w.referenceCpuUs, 1),
        configCpuUs: round(w.configCpuUs, 1),
        referenceAllocatedKb: round(w.referenceAllocatedKb, 2),
        configAllocatedKb: round(w.configAllocatedKb, 2),
        busy: round(w.busy, 3),
      })),
    })),
    budget: report.budget,
    windows: pass.windows.map((w) => ({
      config: w.config,
      route: w.route,
      round: w.round,
      requests: w.load.requests,
      requestsPerSecond: round(w.load.requestsPerSecond, 0),
      p50Ms: round(w.load.p50Ms, 3),
      p99Ms: round(w.load.p99Ms, 3),
      failures: w.load.failures,
      serverRequests: w.usage.requests,
      serverCpuMicros: w.usage.cpuMicros,
      serverAllocatedBytes: w.usage.allocatedBytes,
      spans: w.usage.spans,
      attempts: w.attempts,
    })),
    notes: pass.notes,
  };
}

// --- SVG -------------------------------------------------------------------------------------------------

const COLOURS: Record<string, string> = {
  baseline: '#7f7f7f',
  shipped: '#1f77b4',
  'shipped@1%': '#9ecae1',
  'shipped+otlp': '#3182bd',
  'shipped+otlp@1%': '#6baed6',
  'drum-otel': '#17becf',
  'drum-otel+metrics': '#2ca02c',
  'drum-otel+logs': '#98df8a',
  notrace: '#2ca02c',
  auto: '#d62728',
  floor: '#9467bd',
  'sdk-disabled': '#bcbd22',
  'span-only': '#ff7f0e',
  'span-only@1%': '#ffbb78',
  'span-only-bare': '#ffd92f',
  'metrics-only': '#98df8a',
  'koa-baseline': '#c7c7c7',
  'koa-drum-otel': '#8c564b',
  'koa-auto': '#ff9896',
};

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One panel per route: a horizontal bar of server CPU us/req per configuration, labelled with req/s ratio. */
export function svgChart(report: PassReport): string {
  const routes = [...new Set(report.summaries.map((s) => s.route))];
  const barHeight = 18;
  const gap = 6;
  const labelWidth = 120;
  const chartWidth = 460;
  const width = labelWidth + chartWidth + 170;
  const maxCpu = Math.max(...report.summaries.map((s) => s.cpuUsPerRequest).filter(Number.isFinite), 1);
  const parts: string[] = [];
  let y = 40;
  for (const route of routes) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(route)}: server CPU per request (us)</text>`);
    y += 10;
    for (const s of report.summaries.filter((summary) => summary.route === route)) {
      const length = Number.isFinite(s.cpuUsPerRequest) ? (s.cpuUsPerRequest / maxCpu) * chartWidth : 0;
      const ratio = s.throughputVsBaseline === null ? '' : `, ${s.throughputVsBaseline.toFixed(2)} x req/s`;
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + barHeight - 5}" text-anchor="end">${escapeXml(s.config)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${COLOURS[s.config] ?? '#333'}"/>`,
        `<text x="${(labelWidth + length + 4).toFixed(1)}" y="${y + barHeight - 5}">${fixed(s.cpuUsPerRequest, 1)} us${ratio}</text>`,
      );
      y += barHeight + gap;
    }
    y += 20;
  }
  const title = `drum-otel bench ${report.date}, Node ${report.pass.node.version}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes <date>-node<major>.{json,md,svg} and returns their paths. */
export function writeReport(report: PassReport): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = join(RESULTS_DIR, `${report.date}-node${report.pass.node.major}`);
  const files: [string, string][] = [
    [`${base}.json`, `${JSON.stringify(jsonReport(report), null, 1)}\n`],
    [`${base}.md`, markdownReport(report)],
    [`${base}.svg`, svgChart(report)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([path]) => path);
}
