import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SETUP_INSTALL_COMMAND, SETUP_PACKAGES } from '../src/setup/dependencies';
import { startReceiver } from './e2e/otlp-receiver';

// The package as users install it: the packed tarball into an application that brings its own SDK, and a git
// URL (built by the package's `prepare` script) into one that uses `drum-otel/setup` with the README's install
// line. npm installs from its cache where it can; each install gets minutes, not ava's default timeout.

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures');
const INSTALL_MINUTES = 6;
const temporary: string[] = [];
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
/** What every consumer has anyway: the required peers, and what routing-controllers needs beside them. */
const APPLICATION_PACKAGES = [
  '@opentelemetry/api@1.9', 'routing-controllers@0.11', 'express@4', 'class-validator@0.14', 'class-transformer@0.5',
  'reflect-metadata@0.2',
];
const SDK_LIKE = /^@opentelemetry\/(sdk-|exporter-|propagator-|context-|resources$)/;

function project(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), `drum-otel-${name}-`));
  temporary.push(directory);
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name, private: true }));
  return directory;
}

async function npmInstall(cwd: string, packages: readonly string[]): Promise<void> {
  await run('npm', ['install', ...packages, '--prefer-offline', '--no-audit', '--no-fund', '--silent'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Every package installed in `cwd`, as `name@version` (each copy once). */
async function installedPackages(cwd: string): Promise<Set<string>> {
  const { stdout } = await run('npm', ['ls', '--all', '--parseable', '--long'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return new Set(stdout.trim().split('\n').slice(1).map((line) => line.split(':')[1]));
}

/** Runs node with `args` in `cwd` and parses the JSON it prints. */
async function node(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, args, { cwd, env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

async function nodeFailure(cwd: string, code: string, ...flags: string[]): Promise<string> {
  try {
    await run(process.execPath, [...flags, '-e', code], { cwd });
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error(`node ${flags.join(' ')} -e ${JSON.stringify(code)} succeeded`);
}

/** The packed tarball, made without scripts: dist/ is the one `npm test` built (other tests read it meanwhile). */
let tarball: Promise<string> | undefined;
function packedTarball(): Promise<string> {
  tarball ??= (async () => {
    const directory = mkdtempSync(join(tmpdir(), 'drum-otel-pack-'));
    temporary.push(directory);
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', directory, '--silent'], { cwd: root });
    return join(directory, readdirSync(directory).find((name) => name.endsWith('.tgz'))!);
  })();
  return tarball;
}

test.after.always(() => {
  for (const directory of temporary) rmSync(directory, { recursive: true, force: true });
});

test('the packed tarball ships both entries with types and ES module facades, and no sources or tests', async (t) => {
  const { stdout } = await run('tar', ['-tzf', await packedTarball()]);
  const files = stdout.trim().split('\n');
  for (const entry of ['index', 'setup/index']) {
    for (const extension of ['js', 'mjs', 'd.ts']) t.true(files.includes(`package/dist/${entry}.${extension}`), `${entry}.${extension}`);
  }
  t.deepEqual(files.filter((file) => /^package\/(src|test|build|examples|bench)\//.test(file)), []);
});

test('the SDK packages setupOtel needs are exactly the optional peer dependencies, and README installs them', (t) => {
  const optionalPeers = Object.keys(manifest.peerDependenciesMeta).filter((name) => manifest.peerDependenciesMeta[name].optional);
  t.deepEqual(Object.keys(SETUP_PACKAGES).sort(), optionalPeers.sort());
  for (const name of optionalPeers) t.is(SETUP_PACKAGES[name], manifest.peerDependencies[name], name);
  t.true(readFileSync(join(root, 'README.md'), 'utf8').includes(`\n${SETUP_INSTALL_COMMAND}\n`), 'README lacks the install line');
});

test('an application with its own NodeTracerProvider gets only drum-otel itself, and its spans, from CommonJS and ESM', async (t) => {
  t.timeout(INSTALL_MINUTES * 60_000);
  const consumer = project('own-provider');
  cpSync(join(fixtures, 'consumer'), consumer, { recursive: true });
  await npmInstall(consumer, [...APPLICATION_PACKAGES, '@opentelemetry/sdk-trace-node@2', '@opentelemetry/sdk-trace-base@2']);
  const before = await installedPackages(consumer);
  await npmInstall(consumer, [await packedTarball()]);
  const added = [...(await installedPackages(consumer))].filter((name) => !before.has(name));
  t.deepEqual(added, [`drum-otel@${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}`]);

  t.deepEqual(await node(consumer, ['consumer.cjs']), {
    bodies: [{ flavour: 'cjs' }, { message: 'OK' }],
    spans: [['drum.invocations', 'cjs-user']],
    extracted: { 'gen_ai.request.consumer_id': 'cjs-user' },
  });
  t.deepEqual(await node(consumer, ['consumer.mjs']), {
    bodies: [{ flavour: 'esm' }, { message: 'OK' }],
    spans: [['drum.invocations', 'esm-user']],
    extracted: { 'gen_ai.request.consumer_id': 'esm-user' },
    sameInstance: true,
  });
});

test('installed from a git URL, the instrumentation alone brings no SDK package, and drum-otel/setup works after the README line', async (t) => {
  t.timeout(2 * INSTALL_MINUTES * 60_000);
  const consumer = project('git-setup');
  cpSync(join(fixtures, 'setup-consumer'), consumer, { recursive: true });
  // npm clones the repository's committed HEAD and builds dist/ with the `prepare` script.
  await npmInstall(consumer, [...APPLICATION_PACKAGES, `git+file://${root}`]);
  t.deepEqual([...(await installedPackages(consumer))].filter((name) => SDK_LIKE.test(name)), []);

  // Without the SDK packages: the main entry loads, the setup entry names what is missing and the command.
  const expected = `drum-otel/setup needs the OpenTelemetry SDK packages it configures; not installed: ${Object.keys(SETUP_PACKAGES).join(', ')}. Install them with:\n  ${SETUP_INSTALL_COMMAND}`;
  t.true((await nodeFailure(consumer, "require('drum-otel/setup')")).includes(expected));
  t.true((await nodeFailure(consumer, "await import('drum-otel/setup')", '--input-type=module')).includes(expected));
  const main = await node(consumer, ['-e', "console.log(JSON.stringify({ type: typeof require('drum-otel').instrumentControllers }))"]);
  t.deepEqual(main, { type: 'function' });

  await npmInstall(consumer, SETUP_INSTALL_COMMAND.split(' ').slice(2));
  const entries = await node(consumer, ['load-entries.mjs']);
  t.deepEqual(entries.setup, ['setupOtel']);
  t.true((entries.main as string[]).includes('instrumentControllers'));
  t.false((entries.main as string[]).includes('setupOtel'));

  const receiver = await startReceiver();
  try {
    const report = await node(consumer, ['export-span.cjs'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    t.deepEqual(report, { enabled: true, body: { served: true } });
    const spans = await receiver.waitForSpans(1);
    t.deepEqual(
      spans.map((span) => [span.name, span.attributes['http.route'], span.resource['service.name']]),
      [['drum.invocations', '/predict/', 'setup-consumer']],
    );
  } finally {
    await receiver.close();
  }
});
