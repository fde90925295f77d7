/** The overhead budget, checked against one Node version's summaries. */
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

function throughputCheck(find: Find, config: ConfigName, route: string, atLeast: number): BudgetCheck {
  const goal = `${route}: ${config} req/s >= ${atLeast.toFixed(2)} x baseline`;
  const ratio = find(config, route)?.throughputVsBaseline;
  if (ratio == null) return notMeasured(goal, `${config} or baseline`);
  return { goal, measured: `${ratio.toFixed(3)} x`, met: ratio >= atLeast };
}

/** drum-otel against instrumentation-http + -express with the same provider and processor (`auto`). */
function versusAutoCheck(find: Find, route: string): BudgetCheck {
  const goal = `${route}: drum-otel req/s >= 1.8 x auto`;
  const drum = find('drum-otel', route);
  const auto = find('auto', route);
  if (drum === undefined || auto === undefined) return notMeasured(goal, 'drum-otel or auto');
  const ratio = drum.requestsPerSecond / auto.requestsPerSecond;
  return { goal, measured: `${ratio.toFixed(2)} x`, met: ratio >= 1.8 };
}

/** The throughput the shipped configuration keeps on /predict/, every request sampled and 1% sampled. */
const SHIPPED_GOALS: Readonly<Record<'node20' | 'node24', { readonly all: number; readonly onePercent: number }>> = {
  node20: { all: 0.9, onePercent: 0.92 },
  node24: { all: 0.92, onePercent: 0.97 },
};

/** What drum-otel's HTTP server metrics add per request over `drum-otel` alone: at most 3 us on Node 24. */
function metricsCheck(find: Find, route: string): BudgetCheck {
  const goal = `${route}: drum-otel+metrics CPU - drum-otel CPU <= 3 us`;
  const withMetrics = find('drum-otel+metrics', route)?.addedCpuUs;
  const without = find('drum-otel', route)?.addedCpuUs;
  if (withMetrics == null || without == null) return notMeasured(goal, 'drum-otel+metrics, drum-otel or baseline');
  return { goal, measured: signedUs(withMetrics - without), met: withMetrics - without <= 3 };
}

/**
 * The budget: the shipped configuration (setupOtel as the example server calls it, exporter none) on
 * /predict/ at 100% and 1% sampling; @NoTrace() echo 0.99 x; drum-otel 1.8 x auto on echo. Node 24's
 * goals hold for later versions, Node 20's for earlier ones.
 */
export function checkBudget(summaries: readonly Summary[], major: number): BudgetCheck[] {
  const find = finder(summaries);
  const goals = SHIPPED_GOALS[major >= 24 ? 'node24' : 'node20'];
  return [
    throughputCheck(find, 'shipped', 'predict', goals.all),
    throughputCheck(find, 'shipped@1%', 'predict', goals.onePercent),
    throughputCheck(find, 'notrace', 'echo', 0.99),
    versusAutoCheck(find, 'echo'),
    ...(major >= 24 ? [metricsCheck(find, 'echo'), metricsCheck(find, 'predict')] : []),
  ];
}

export function verdict(check: BudgetCheck): string {
  return check.met === null ? 'n/a' : check.met ? 'met' : 'NOT MET';
}
