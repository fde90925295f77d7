import test from 'ava';
import {
  assertSetupDependencies,
  satisfies,
  SETUP_INSTALL_COMMAND,
  SETUP_PACKAGES,
  type DependencyProbe,
} from '../../src/setup/dependencies';
import { installedVersion } from '../../src/installed-version';

// What importing drum-otel/setup checks before it loads the SDK: the Node.js version, every SDK package
// installed, and each of the 3.x line. The probe is injected; the real one is exercised on this tree.

/** Everything setup needs, installed at the 3.x versions, on Node 22.15; `changes` overrides versions. */
function probe(changes: Record<string, string | undefined> = {}, nodeVersion = '22.15.0'): DependencyProbe {
  const versions: Record<string, string | undefined> = {
    '@opentelemetry/api': '1.10.0',
    ...Object.fromEntries(Object.entries(SETUP_PACKAGES).map(([name, range]) => [name, range.slice(1)])),
    ...changes,
  };
  return { nodeVersion, installedVersion: (name) => versions[name] };
}

test('the install line: sdk-node, which brings every SDK package, and the two outgoing-call instrumentations', (t) => {
  t.is(SETUP_INSTALL_COMMAND, 'npm install @opentelemetry/sdk-node @opentelemetry/instrumentation-http @opentelemetry/instrumentation-undici');
  t.is(SETUP_PACKAGES['@opentelemetry/sdk-trace'], '^3.1.1');
});

test('this tree: the real probe finds everything at the 3.x line', (t) => {
  t.notThrows(() => assertSetupDependencies());
  t.is(installedVersion('@opentelemetry/sdk-trace', require.resolve), '3.1.1');
  t.is(installedVersion('@opentelemetry/not-installed', require.resolve), undefined);
});

test('Node.js older than 22.15: an Error naming the running version', (t) => {
  t.throws(() => assertSetupDependencies(probe({}, '20.19.0')), {
    message: 'drum-otel/setup needs Node.js >=22.15.0; this is Node.js 20.19.0',
  });
  t.throws(() => assertSetupDependencies(probe({}, '22.14.9')), { message: /this is Node\.js 22\.14\.9$/ });
  t.notThrows(() => assertSetupDependencies(probe({}, '26.10.0')));
});

test('missing packages: an Error naming each and the install line', (t) => {
  t.throws(() => assertSetupDependencies(probe({ '@opentelemetry/sdk-logs': undefined, '@opentelemetry/sdk-node': undefined })), {
    message:
      'drum-otel/setup needs the OpenTelemetry JS 3.x SDK packages it configures; not installed: @opentelemetry/sdk-logs, @opentelemetry/sdk-node. ' +
      'Install them with:\n  npm install @opentelemetry/sdk-node @opentelemetry/instrumentation-http @opentelemetry/instrumentation-undici',
  });
});

test('2.x packages or an API before 1.10: an Error naming each package, the version found and the range needed', (t) => {
  const twoX = { '@opentelemetry/sdk-trace': '2.12.0', '@opentelemetry/sdk-metrics': '2.12.0', '@opentelemetry/resources': '2.0.1', '@opentelemetry/core': '2.12.0' };
  t.throws(() => assertSetupDependencies(probe({ ...twoX, '@opentelemetry/api': '1.9.0' })), {
    message:
      'drum-otel/setup configures the OpenTelemetry JS 3.x SDK; installed are other versions: @opentelemetry/api 1.9.0 (needs >=1.10.0 <2.0.0), ' +
      '@opentelemetry/core 2.12.0 (needs ^3.1.1), @opentelemetry/resources 2.0.1 (needs ^3.1.1), @opentelemetry/sdk-metrics 2.12.0 (needs ^3.1.1), ' +
      '@opentelemetry/sdk-trace 2.12.0 (needs ^3.1.1). Install the 3.x line with:\n  npm install @opentelemetry/sdk-node @opentelemetry/instrumentation-http @opentelemetry/instrumentation-undici',
  });
  t.throws(() => assertSetupDependencies(probe({ '@opentelemetry/exporter-trace-otlp-http': '0.223.1' })), {
    message: /@opentelemetry\/exporter-trace-otlp-http 0\.223\.1 \(needs \^0\.301\.2\)/,
  });
});

test('satisfies: caret as npm reads it, bounds, prereleases as their release', (t) => {
  t.true(satisfies('3.4.0', '^3.1.1'));
  t.false(satisfies('3.1.0', '^3.1.1'));
  t.false(satisfies('4.0.0', '^3.1.1'));
  t.true(satisfies('0.301.9', '^0.301.2'));
  t.false(satisfies('0.302.0', '^0.301.2'));
  t.true(satisfies('1.10.0-rc.1', '>=1.10.0 <2.0.0'));
  t.false(satisfies('2.0.0', '>=1.10.0 <2.0.0'));
  t.false(satisfies('garbage', '>=22.15.0'));
});
