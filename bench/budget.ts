/** The overhead budget of issue 6, checked against one Node version's summaries. */
import type { ConfigName } from './configs';
import type { Summary } from './summary';

export interface BudgetCheck {
  readonly goal: string;
  readonly measured: string;
  /** `null` when the run lacks what the goal needs (a route or configuration not measured). */
  readonly met: boolean | null;
}

type Find = (config: ConfigName, route: string) => Summary | undefined;

function finder(summaries: readonly Summary[]): Find {
  return (config, route) => summaries.find((summary) => summary.config === config && summary.route === route);
}

const signedUs = (us: number): string => `${us >= 0 ? '+' : ''}${us.toFixed(1)} us`;

const notMeasured = (goal: string, what: string): BudgetCheck => ({ goal, measured: `not measured (${what})`, met: null });

/** drum-otel's added CPU per request: <= 10 us on Node 24; <= the floor's + 10 us on Node 20 (and others). */
function addedCpuCheck(find: Find, major: number, route: string): BudgetCheck {
  const drum = find('drum-otel', route);
  if (major >= 24) {
    const goal = `${route}: drum-otel CPU - baseline <= 10 us`;
    if (drum?.addedCpuUs == null) return notMeasured(goal, 'drum-otel or baseline');
    return { goal, measured: signedUs(drum.addedCpuUs), met: drum.addedCpuUs <= 10 };
  }
  const goal = `${route}: drum-otel CPU - baseline <= (floor - baseline) + 10 us`;
  const floor = find('floor', route);
  if (drum?.addedCpuUs == null || floor?.addedCpuUs == null) return notMeasured(goal, 'drum-otel, floor or baseline');
  return {
    goal,
    measured: `${signedUs(drum.addedCpuUs)} vs floor ${signedUs(floor.addedCpuUs)}`,
    met: drum.addedCpuUs <= floor.addedCpuUs + 10,
  };
}

function throughputCheck(find: Find, config: ConfigName, route: string, atLeast: number): BudgetCheck {
  const goal = `${route}: ${config} req/s >= ${atLeast.toFixed(2)} x baseline`;
  const ratio = find(config, route)?.throughputVsBaseline;
  if (ratio == null) return notMeasured(goal, `${config} or baseline`);
  return { goal, measured: `${ratio.toFixed(3)} x`, met: ratio >= atLeast };
}

function versusAutoCheck(find: Find, route: string): BudgetCheck {
  const goal = `${route}: drum-otel req/s >= 1.8 x auto`;
  const drum = find('drum-otel', route);
  const auto = find('auto', route);
  if (drum === undefined || auto === undefined) return notMeasured(goal, 'drum-otel or auto');
  const ratio = drum.requestsPerSecond / auto.requestsPerSecond;
  return { goal, measured: `${ratio.toFixed(2)} x`, met: ratio >= 1.8 };
}

/** What drum-otel's HTTP server metrics add per request over `drum-otel` alone: at most 3 us on Node 24. */
function metricsCheck(find: Find, route: string): BudgetCheck {
  const goal = `${route}: drum-otel+metrics CPU - drum-otel CPU <= 3 us`;
  const withMetrics = find('drum-otel+metrics', route)?.addedCpuUs;
  const without = find('drum-otel', route)?.addedCpuUs;
  if (withMetrics == null || without == null) return notMeasured(goal, 'drum-otel+metrics, drum-otel or baseline');
  return { goal, measured: signedUs(withMetrics - without), met: withMetrics - without <= 3 };
}

/**
 * The goals as issue 6 states them: added CPU on every route; throughput 0.93 x on echo (Node 24 only) and
 * 0.97 x on /predict/; notrace 0.99 x; 1.8 x auto on echo.
 */
export function checkBudget(summaries: readonly Summary[], major: number): BudgetCheck[] {
  const find = finder(summaries);
  const checks = [addedCpuCheck(find, major, 'echo'), addedCpuCheck(find, major, 'predict')];
  if (major >= 24) checks.push(throughputCheck(find, 'drum-otel', 'echo', 0.93));
  checks.push(throughputCheck(find, 'drum-otel', 'predict', 0.97));
  checks.push(throughputCheck(find, 'notrace', 'echo', 0.99));
  checks.push(versusAutoCheck(find, 'echo'));
  if (major >= 24) checks.push(metricsCheck(find, 'echo'), metricsCheck(find, 'predict'));
  return checks;
}

export function verdict(check: BudgetCheck): string {
  return check.met === null ? 'n/a' : check.met ? 'met' : 'NOT MET';
}
