/**
 * The OpenTelemetry SDK packages `drum-otel/setup` builds on. They are optional peer dependencies: an
 * application that sets OpenTelemetry up itself installs drum-otel without them. Kept equal to package.json's
 * optional peer dependencies by a test.
 */
export const SETUP_PACKAGES: Readonly<Record<string, string>> = {
  '@opentelemetry/context-async-hooks': '^3.1.1',
  '@opentelemetry/core': '^3.1.1',
  '@opentelemetry/exporter-metrics-otlp-http': '^0.301.2',
  '@opentelemetry/exporter-metrics-otlp-proto': '^0.301.2',
  '@opentelemetry/exporter-trace-otlp-http': '^0.301.2',
  '@opentelemetry/exporter-trace-otlp-proto': '^0.301.2',
  '@opentelemetry/propagator-b3': '^3.1.1',
  '@opentelemetry/resources': '^3.1.1',
  '@opentelemetry/sdk-metrics': '^3.1.1',
  '@opentelemetry/sdk-trace': '^3.1.1',
};

/** The one command that installs every package of {@link SETUP_PACKAGES}. */
export const SETUP_INSTALL_COMMAND = `npm install ${Object.entries(SETUP_PACKAGES)
  .map(([name, range]) => `${name}@${range}`)
  .join(' ')}`;

/**
 * Throws an Error naming every missing SDK package and the install command, before anything of the SDK is
 * loaded: a bare `Cannot find module` deep inside an exporter would name neither.
 */
export function assertSetupDependencies(resolve: (name: string) => unknown = require.resolve): void {
  const missing = Object.keys(SETUP_PACKAGES).filter((name) => !isResolvable(resolve, name));
  if (missing.length === 0) return;
  throw new Error(
    `drum-otel/setup needs the OpenTelemetry SDK packages it configures; not installed: ${missing.join(', ')}. ` +
      `Install them with:\n  ${SETUP_INSTALL_COMMAND}`,
  );
}

function isResolvable(resolve: (name: string) => unknown, name: string): boolean {
  try {
    resolve(name);
    return true;
  } catch {
    return false;
  }
}

// On import: src/setup/index.ts imports this module before anything that loads the SDK.
assertSetupDependencies();
