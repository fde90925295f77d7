/**
 * `npm run bench`: every configuration on every route, interleaved rounds, then the budget's pairings side by
 * side, under Node 26, 24 and 22 (the load generator stays in this process, on the pinned Node 26 when run
 * through `npm run`, pinned to core 0; the servers run under each binary on core 1). Prints and writes bench/results/<date>-node<major>.{json,md,svg}.
 *
 * Environment: BENCH_SECONDS (3), BENCH_WARMUP (2), BENCH_REWARM (0.5), BENCH_ROUNDS (3),
 * BENCH_NODES (26,24,22), BENCH_CONFIGS (all; baseline is always added), BENCH_ROUTES (echo,predict),
 * BENCH_NODE24, BENCH_NODE22 (a binary to use instead of installing one), BENCH_PAIRINGS (route:reference:config,
 * ...: these pairings side by side instead of the budget's), BENCH_MIN_BUSY (0.9) and
 * BENCH_MAX_ATTEMPTS (3): a window whose server was busier than that is measured again (see measure.ts);
 * BENCH_PAIRS (4), BENCH_PAIR_ROUNDS (4), BENCH_PAIR_WARMUP (8), BENCH_PAIR_SECONDS (2), BENCH_SIDE_BY_SIDE
 * (`0`: the budget is not measured), see side-by-side.ts.
 */
import { budgetPairings, checkBudget, explicitPairings } from './budget';
import { exportsOtlp, numberFromEnv, OTLP_URL_ENV, selectedConfigs } from './configs';
import { measureNode, type MeasureSettings, type NodePass } from './measure';
import type { NodeBinary } from './node-binaries';
import { benchNodes } from './node-binaries';
import { startReceiver, type RunningReceiver } from './otlp-receiver-process';
import { LOAD_CORE, pinSelf } from './pinning';
import { budgetLines, localDate, markdownTable, sideBySideTable, writeReport } from './report';
import { selectedRoutes } from './routes';
import { measurePairing, pairingFailures, type PairingResult, type SideBySideSettings } from './side-by-side';
import { summarisePass } from './summary';

const log = (line: string): void => console.log(line);

function sideBySideSettings(settings: MeasureSettings): SideBySideSettings | undefined {
  if (process.env.BENCH_SIDE_BY_SIDE === '0') return undefined;
  return {
    processPairs: Math.round(numberFromEnv('BENCH_PAIRS', 4)),
    rounds: Math.round(numberFromEnv('BENCH_PAIR_ROUNDS', 4)),
    warmupSeconds: numberFromEnv('BENCH_PAIR_WARMUP', 8),
    rewarmSeconds: settings.rewarmSeconds,
    seconds: numberFromEnv('BENCH_PAIR_SECONDS', 2),
    minBusy: settings.minBusy,
    maxAttempts: settings.maxAttempts,
    serverEnv: settings.serverEnv,
  };
}

/** The budget's pairings on the routes the interleaved pass could measure. */
async function measureBudgetPairings(node: NodeBinary, pass: NodePass, settings: MeasureSettings, sideBySide: SideBySideSettings): Promise<PairingResult[]> {
  const measuredRoutes = settings.routes.filter((route) => pass.windows.some((window) => window.route === route.name));
  const routeNames = measuredRoutes.map((route) => route.name);
  const pairings = explicitPairings(settings.configs, routeNames) ?? budgetPairings(node.major, settings.configs, routeNames);
  log(`  side by side: ${pairings.length} pairings x ${sideBySide.processPairs} process pairs x ${sideBySide.rounds} windows`);
  const results: PairingResult[] = [];
  for (const pairing of pairings) {
    results.push(await measurePairing(node, pairing, measuredRoutes.find((route) => route.name === pairing.route)!, sideBySide, log));
  }
  return results;
}

async function main(): Promise<void> {
  const pinned = pinSelf(LOAD_CORE);
  if (!pinned) log('warning: taskset or a second core is missing; load generator and server share the CPU');
  const configs = selectedConfigs();
  const rounds = Math.round(numberFromEnv('BENCH_ROUNDS', 3));
  if (rounds < 3) log(`warning: BENCH_ROUNDS=${rounds}; medians and paired ratios need at least 3 rounds`);
  const receiver: RunningReceiver | undefined = configs.some(exportsOtlp) ? await startReceiver() : undefined;
  const settings: MeasureSettings = {
    configs,
    routes: selectedRoutes(),
    rounds,
    warmupSeconds: numberFromEnv('BENCH_WARMUP', 2),
    rewarmSeconds: process.env.BENCH_REWARM === '0' ? 0 : numberFromEnv('BENCH_REWARM', 0.5),
    seconds: numberFromEnv('BENCH_SECONDS', 3),
    minBusy: numberFromEnv('BENCH_MIN_BUSY', 0.9),
    maxAttempts: Math.round(numberFromEnv('BENCH_MAX_ATTEMPTS', 3)),
    serverEnv: { ...process.env, ...(receiver ? { [OTLP_URL_ENV]: receiver.url } : {}) },
  };
  const sideBySide = sideBySideSettings(settings);
  let failures = 0;
  try {
    for (const node of benchNodes(log)) {
      const pass = await measureNode(node, settings, log);
      const summaries = summarisePass(pass, configs, settings.routes.map((route) => route.name));
      const pairings = sideBySide === undefined ? [] : await measureBudgetPairings(node, pass, settings, sideBySide);
      const budget = checkBudget(pairings, node.major);
      const files = writeReport({ date: localDate(), pass, settings, pinned, summaries, sideBySide, pairings, budget });
      failures += summaries.reduce((sum, summary) => sum + summary.failures, 0);
      failures += pairings.reduce((sum, pairing) => sum + pairingFailures(pairing), 0);
      log(`\nNode ${node.version}\n\n${markdownTable(summaries)}\n\n${sideBySideTable(pairings)}\n\nBudget:\n${budgetLines(budget).join('\n')}`);
      for (const note of pass.notes) log(`note: ${note}`);
      log(`wrote ${files.join(', ')}\n`);
    }
  } finally {
    await receiver?.stop();
  }
  if (failures > 0) {
    console.error(`${failures} requests failed (non-2xx, errors or timeouts): the numbers above are not trustworthy`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
