import { installedVersion } from '../installed-version';

/**
 * The OpenTelemetry JS 3.x SDK packages `drum-otel/setup` loads, each with the version range it needs. They
 * are not dependencies of drum-otel: an application that sets OpenTelemetry up itself installs drum-otel
 * without them, and one that uses setupOtel installs them with {@link SETUP_INSTALL_COMMAND}.
 */
export const SETUP_PACKAGES: Readonly<Record<string, string>> = {
  '@opentelemetry/context-async-hooks': '^3.1.1',
  '@opentelemetry/core': '^3.1.1',
  '@opentelemetry/exporter-logs-otlp-http': '^0.301.2',
  '@opentelemetry/exporter-logs-otlp-proto': '^0.301.2',
  '@opentelemetry/exporter-metrics-otlp-http': '^0.301.2',
  '@opentelemetry/exporter-metrics-otlp-proto': '^0.301.2',
  '@opentelemetry/exporter-trace-otlp-http': '^0.301.2',
  '@opentelemetry/exporter-trace-otlp-proto': '^0.301.2',
  '@opentelemetry/instrumentation-http': '^0.301.2',
  '@opentelemetry/instrumentation-undici': '^0.34.0',
  '@opentelemetry/propagator-b3': '^3.1.1',
  '@opentelemetry/resources': '^3.1.1',
  '@opentelemetry/sdk-logs': '^3.1.1',
  '@opentelemetry/sdk-metrics': '^3.1.1',
  '@opentelemetry/sdk-node': '^0.301.2',
  '@opentelemetry/sdk-trace': '^3.1.1',
};

/**
 * The API setupOtel needs (a peer dependency of drum-otel, so not among {@link SETUP_PACKAGES}): 1.10 brings
 * the Logs API the logger provider is registered through.
 */
export const SETUP_API_RANGE = '>=1.10.0 <2.0.0';

/** The Node.js the 3.x SDK runs on. */
export const SETUP_NODE_RANGE = '>=22.15.0';

/**
 * The one command that installs every package of {@link SETUP_PACKAGES}: `@opentelemetry/sdk-node` depends
 * on each of them, at the versions that work together, but for the two instrumentations of outgoing requests
 * (`@opentelemetry/instrumentation-http`, `@opentelemetry/instrumentation-undici`) that setupOtel registers so
 * that the calls a traced action makes carry its trace. They are required, not loaded when present: an
 * application installed without them would lose the backend's half of every trace without a word.
 */
export const SETUP_INSTALL_COMMAND =
  'npm install @opentelemetry/sdk-node @opentelemetry/instrumentation-http @opentelemetry/instrumentation-undici';

/** What {@link assertSetupDependencies} looks at: the running Node.js and the installed packages. */
export interface DependencyProbe {
  /** The running Node.js version, as `process.versions.node` gives it. */
  readonly nodeVersion: string;
  /** The version of the installed package `name`, or `undefined` when it cannot be resolved. */
  installedVersion(name: string): string | undefined;
}

/**
 * Throws an Error naming what was found and what is needed when Node.js is too old, an SDK package is missing,
 * or a package of another line (OpenTelemetry JS 2.x, or an API older than 1.10) would be loaded: before
 * anything of the SDK is loaded, since a bare `Cannot find module` deep inside an exporter names nothing useful
 * and a 2.x package would half-work.
 */
export function assertSetupDependencies(probe: DependencyProbe = installedProbe()): void {
  if (!satisfies(probe.nodeVersion, SETUP_NODE_RANGE)) {
    throw new Error(`drum-otel/setup needs Node.js ${SETUP_NODE_RANGE}; this is Node.js ${probe.nodeVersion}`);
  }
  const missing = Object.keys(SETUP_PACKAGES).filter((name) => probe.installedVersion(name) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `drum-otel/setup needs the OpenTelemetry JS 3.x SDK packages it configures; not installed: ${missing.join(', ')}. ` +
        `Install them with:\n  ${SETUP_INSTALL_COMMAND}`,
    );
  }
  const needed: Record<string, string> = { '@opentelemetry/api': SETUP_API_RANGE, ...SETUP_PACKAGES };
  const mismatched = Object.entries(needed).flatMap(([name, range]) => {
    const version = probe.installedVersion(name);
    return version === undefined || satisfies(version, range) ? [] : [`${name} ${version} (needs ${range})`];
  });
  if (mismatched.length > 0) {
    throw new Error(
      `drum-otel/setup configures the OpenTelemetry JS 3.x SDK; installed are other versions: ${mismatched.join(', ')}. ` +
        `Install the 3.x line with:\n  ${SETUP_INSTALL_COMMAND}`,
    );
  }
}

/** The probe of this process: `process.versions.node`, and each package's package.json as `require` finds it. */
function installedProbe(): DependencyProbe {
  return { nodeVersion: process.versions.node, installedVersion: (name) => installedVersion(name, require.resolve) };
}

/**
 * Whether `version` is in `range`, a space-separated list of `>=x.y.z`, `<x.y.z` and `^x.y.z` (caret as npm
 * reads it: `^0.301.2` stays below 0.302.0). A prerelease counts as its release.
 */
export function satisfies(version: string, range: string): boolean {
  const found = parse(version);
  return range.split(' ').every((comparator) => {
    const [, operator, bound] = /^(>=|<|\^)(.*)$/.exec(comparator) ?? [];
    const limit = parse(bound ?? '');
    if (operator === '>=') return compare(found, limit) >= 0;
    if (operator === '<') return compare(found, limit) < 0;
    const significant = limit.findIndex((part, index) => part !== 0 || index === 2);
    const upper = limit.map((part, index) => (index < significant ? part : index === significant ? part + 1 : 0));
    return compare(found, limit) >= 0 && compare(found, upper) < 0;
  });
}

function parse(version: string): number[] {
  const [major = NaN, minor = NaN, patch = NaN] = version.split(/[-+]/)[0].split('.').map(Number);
  return [major, minor, patch];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < 3; index++) if (a[index] !== b[index]) return a[index] - b[index];
  return 0;
}

// On import: src/setup/index.ts imports this module before anything that loads the SDK.
assertSetupDependencies();
