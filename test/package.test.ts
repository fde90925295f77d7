import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { SETUP_INSTALL_COMMAND, SETUP_PACKAGES } from '../src/setup/dependencies';
import { startReceiver, type ExportedSpan } from './e2e/otlp-receiver';

// The package as users install it: the packed tarball, with a plain `npm install` (no --force, no
// --legacy-peer-deps), into an application of each OpenTelemetry JS line, set up the zero-code way
// (auto-instrumentations-node's `register`): 3.x (api 1.10, sdk-node 0.301, auto-instrumentations-node 0.82)
// under the Node running this test, and 2.x (api 1.9, sdk-node 0.223.0, auto-instrumentations-node 0.81.2) under
// Node 20 (DRUM_OTEL_NODE20, else the first `node` on PATH outside node_modules that is v20, else
// /usr/local/bin/node or /usr/bin/node). Then a git URL (built by the package's `prepare` script) into a 3.x
// application that uses `drum-otel/setup` with the README's install line. One install per line serves every test
// of that line; npm installs from its cache where it can; each install gets minutes, not ava's default timeout.

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures');
const INSTALL_MINUTES = 6;
const temporary: string[] = [];
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
/** What every consumer has anyway: what routing-controllers needs beside it. */
const APPLICATION_PACKAGES = ['routing-controllers@0.11', 'express@4', 'class-validator@0.14', 'class-transformer@0.5', 'reflect-metadata@0.2'];
const SDK_LIKE = /^@opentelemetry\/(sdk-|exporter-|propagator-|context-|resources@)/;

type Line = '3.x' | '2.x';
interface LineSpec {
  /** The application's OpenTelemetry packages, installed before drum-otel. */
  readonly packages: readonly string[];
  /** The one @opentelemetry/api the installed tree must hold. */
  readonly api: RegExp;
  /** The Node binary the application runs under. */
  readonly node: () => string;
}
const LINES: Record<Line, LineSpec> = {
  '3.x': {
    packages: ['@opentelemetry/api@1.10', '@opentelemetry/sdk-node@0.301', '@opentelemetry/auto-instrumentations-node@0.82'],
    api: /^@opentelemetry\/api@1\.10\.\d+$/,
    node: () => process.execPath,
  },
  '2.x': {
    // sdk-node 0.223.0 pins its exporters at exactly 0.223.0 and its SDK at 2.12.0; the provider and in-memory
    // exporter the CommonJS/ESM consumers build are that SDK's.
    packages: [
      '@opentelemetry/api@~1.9.0',
      '@opentelemetry/sdk-node@0.223.0',
      '@opentelemetry/auto-instrumentations-node@0.81.2',
      '@opentelemetry/sdk-trace-node@2.12.0',
      '@opentelemetry/sdk-trace-base@2.12.0',
    ],
    api: /^@opentelemetry\/api@1\.9\.\d+$/,
    node: node20,
  },
};

/** The machine's Node 20, which the 2.x application runs under. */
function node20(): string {
  const given = process.env.DRUM_OTEL_NODE20;
  const candidates = given
    ? [given]
    : [
        ...(process.env.PATH ?? '').split(delimiter).filter((directory) => directory !== '' && !directory.split(sep).includes('node_modules')).map((directory) => join(directory, 'node')),
        '/usr/local/bin/node',
        '/usr/bin/node',
      ];
  const seen: string[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
    if (version.startsWith('v20.')) return candidate;
    seen.push(`${candidate} (${version})`);
  }
  throw new Error(
    `the 2.x consumer runs under Node 20, and ${given ? `DRUM_OTEL_NODE20=${given} is not one` : 'none was found on PATH outside node_modules, nor at /usr/local/bin/node or /usr/bin/node'}` +
      `${seen.length > 0 ? ` (found ${seen.join(', ')})` : ''}; set DRUM_OTEL_NODE20 to a Node 20 binary`,
  );
}

function project(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), `drum-otel-${name}-`));
  temporary.push(directory);
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name, private: true }));
  return directory;
}

/** A plain `npm install` (no --force, no --legacy-peer-deps): a peer conflict fails it with ERESOLVE. */
async function npmInstall(cwd: string, packages: readonly string[]): Promise<void> {
  try {
    await run('npm', ['install', ...packages, '--prefer-offline', '--no-audit', '--no-fund', '--silent'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    throw new Error(`npm install ${packages.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

/** Every package installed in `cwd`, as `name@version` (each copy once). */
async function installedPackages(cwd: string): Promise<Set<string>> {
  const { stdout } = await run('npm', ['ls', '--all', '--parseable', '--long'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return new Set(stdout.trim().split('\n').slice(1).map((line) => line.split(':')[1]));
}

/** Every copy of @opentelemetry/api `npm ls` finds in `cwd`, as `name@version`, one entry per directory. */
async function apiCopies(cwd: string): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '@opentelemetry/api', '--all', '--parseable', '--long'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  // Only the matches are listed (no line for the project itself, unlike a plain `npm ls --parseable`).
  return stdout.trim().split('\n').map((line) => line.split(':')[1]).filter((name) => name?.startsWith('@opentelemetry/api@'));
}

/** Runs `binary` with `args` in `cwd` and parses the JSON it prints. */
async function runJson(binary: string, cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const { stdout } = await run(binary, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
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

/**
 * The packed tarball, made without scripts: dist/ is the one `npm test` built (other tests read it meanwhile).
 * DRUM_OTEL_TARBALL names one packed already, for a run beside a dist/ that is not built.
 */
let tarball: Promise<string> | undefined;
function packedTarball(): Promise<string> {
  tarball ??= (async () => {
    if (process.env.DRUM_OTEL_TARBALL) return process.env.DRUM_OTEL_TARBALL;
    const directory = mkdtempSync(join(tmpdir(), 'drum-otel-pack-'));
    temporary.push(directory);
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', directory, '--silent'], { cwd: root });
    return join(directory, readdirSync(directory).find((name) => name.endsWith('.tgz'))!);
  })();
  return tarball;
}

interface LineProject {
  readonly directory: string;
  /** What installing the tarball added to the application's tree, as `name@version`. */
  readonly added: string[];
}

/** One application per line, shared by that line's tests: its packages first, then the tarball on top. */
const lineProjects = new Map<Line, Promise<LineProject>>();
function lineProject(line: Line): Promise<LineProject> {
  let made = lineProjects.get(line);
  if (made === undefined) {
    made = (async () => {
      const directory = project(`consumer-${line}`);
      cpSync(join(fixtures, 'consumer'), directory, { recursive: true });
      await npmInstall(directory, [...LINES[line].packages, ...APPLICATION_PACKAGES]);
      const before = await installedPackages(directory);
      await npmInstall(directory, [await packedTarball()]);
      const added = [...(await installedPackages(directory))].filter((name) => !before.has(name));
      return { directory, added };
    })();
    lineProjects.set(line, made);
  }
  return made;
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

test('the only peers are @opentelemetry/api ^1.9.0 (both lines) and routing-controllers, none optional', (t) => {
  t.deepEqual(manifest.peerDependencies, { '@opentelemetry/api': '^1.9.0', 'routing-controllers': '^0.11.1' });
  t.is(manifest.peerDependenciesMeta, undefined);
  t.deepEqual(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/semantic-conventions'), []);
});

test("drum-otel/setup's SDK packages are the application's to install, with the README's one install line", (t) => {
  // Read through the exported names: src/setup/dependencies.ts says which packages and which command.
  const names = Object.keys(SETUP_PACKAGES);
  t.true(names.length > 0);
  for (const name of names) {
    t.false(name in manifest.peerDependencies, `${name} is a peer dependency`);
    t.false(name in manifest.dependencies, `${name} is a dependency`);
  }
  const words = SETUP_INSTALL_COMMAND.split(' ');
  t.deepEqual(words.slice(0, 2), ['npm', 'install']);
  // The line names packages setupOtel loads (sdk-node brings the others as its own dependencies).
  t.true(words.length > 2);
  for (const word of words.slice(2)) t.true(word.replace(/(?<=.)@.*$/, '') in SETUP_PACKAGES, word);
  t.true(readFileSync(join(root, 'README.md'), 'utf8').includes(`\n${SETUP_INSTALL_COMMAND}\n`), 'README lacks the install line');
});

for (const line of ['3.x', '2.x'] as const) {
  test(`${line} application: a plain npm install of the tarball adds only drum-otel, and the tree holds one @opentelemetry/api`, async (t) => {
    t.timeout(INSTALL_MINUTES * 60_000);
    const { directory, added } = await lineProject(line);
    t.deepEqual(added, [`drum-otel@${manifest.version}`]);
    const copies = await apiCopies(directory);
    t.is(copies.length, 1, copies.join(', '));
    t.regex(copies[0], LINES[line].api);
    if (line === '2.x') {
      // drum-otel/setup is 3.x only: on this line it refuses to load, naming why, while the main entry works.
      const setup = await run(LINES[line].node(), ['-e', "try { require('drum-otel/setup') } catch (e) { console.log(e.message) }"], { cwd: directory });
      t.regex(setup.stdout, /^drum-otel\/setup needs (Node\.js|the OpenTelemetry JS 3\.x)/);
    }
  });

  test(`${line} application, zero-code setup (auto-instrumentations-node/register): instrumentation-http's SERVER span gets the route, drum-otel's span is its INTERNAL child`, async (t) => {
    t.timeout(INSTALL_MINUTES * 60_000);
    const node = LINES[line].node();
    const { directory } = await lineProject(line);
    t.regex((await run(node, ['--version'])).stdout, line === '2.x' ? /^v20\./ : /^v2[2-9]\./);
    const receiver = await startReceiver();
    try {
      const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
      const { stdout } = await run(node, ['--require', '@opentelemetry/auto-instrumentations-node/register', 'zero-code-app.cjs'], {
        cwd: directory,
        env: {
          ...env,
          OTEL_SERVICE_NAME: `zero-code-${line}`,
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
          // instrumentation-http alone: Express's own layer spans would sit between the two spans asserted.
          OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
          // No cloud metadata lookups: loopback only.
          OTEL_NODE_RESOURCE_DETECTORS: 'env',
        },
      });
      t.deepEqual(JSON.parse(stdout), { statuses: { '/models/5': 200, '/predict/': 200, '/ping/': 200, '/lean/models/7': 200 } });
      // The register module shut the SDK down on beforeExit, which exported every span before the process ended.
      const spans = await receiver.waitForSpans(6, 5_000);
      t.deepEqual(new Set(spans.map((span) => span.resource['service.name'])), new Set([`zero-code-${line}`]));
      t.deepEqual(describeTraces(spans), [
        {
          server: { name: 'GET', parentSpanId: '', route: undefined, consumer: undefined, status: 200 },
          drum: undefined,
          others: [],
        },
        {
          server: { name: 'GET /api/lean/models/:id', parentSpanId: '', route: '/api/lean/models/:id', consumer: 'lean', status: 200 },
          drum: undefined,
          others: [],
        },
        {
          server: { name: 'GET /api/models/:id', parentSpanId: PARENT.spanId, route: '/api/models/:id', consumer: undefined, status: 200 },
          drum: { name: 'drum.GET /api/models/:id', childOfServer: true, route: '/api/models/:id', method: 'GET', consumer: 'models', status: 200 },
          others: [],
        },
        {
          server: { name: 'GET /api/predict/', parentSpanId: '', route: '/api/predict/', consumer: undefined, status: 200 },
          drum: { name: 'drum.invocations', childOfServer: true, route: '/api/predict/', method: 'GET', consumer: 'predict', status: 200 },
          others: [],
        },
      ]);
      t.true(spans.some((span) => span.traceId === PARENT.traceId && span.parentSpanId === PARENT.spanId), 'the traceparent sent is the SERVER span parent');
    } finally {
      await receiver.close();
    }
  });
}

/** The W3C parent zero-code-app.cjs sends with its first request. */
const PARENT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
/** OTLP's span kinds. */
const KIND_INTERNAL = 1;
const KIND_SERVER = 2;

/** Each trace (one per request): its SERVER span, the INTERNAL drum span, anything else; sorted by SERVER name. */
function describeTraces(spans: readonly ExportedSpan[]): unknown[] {
  const traces = new Map<string, ExportedSpan[]>();
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  return [...traces.values()]
    .map((trace) => {
      const servers = trace.filter((span) => span.kind === KIND_SERVER);
      const server = servers.length === 1 ? servers[0] : undefined;
      const drums = trace.filter((span) => span.kind === KIND_INTERNAL && span.name.startsWith('drum.'));
      const drum = drums.length === 1 ? drums[0] : undefined;
      return {
        server: server && {
          name: server.name,
          parentSpanId: server.parentSpanId,
          route: server.attributes['http.route'],
          consumer: server.attributes['gen_ai.request.consumer_id'],
          status: server.attributes['http.response.status_code'] ?? server.attributes['http.status_code'],
        },
        drum: drum && {
          name: drum.name,
          childOfServer: drum.parentSpanId === server?.spanId,
          route: drum.attributes['http.route'],
          method: drum.attributes['http.request.method'],
          consumer: drum.attributes['gen_ai.request.consumer_id'],
          status: drum.attributes['http.response.status_code'],
        },
        others: trace.filter((span) => span !== server && span !== drum).map((span) => [span.name, span.kind]),
      };
    })
    .sort((a, b) => String(a.server?.name).localeCompare(String(b.server?.name)));
}

test('2.x application under Node 20: CommonJS and ESM consumers with their own NodeTracerProvider get spans from both entries, one instance', async (t) => {
  t.timeout(INSTALL_MINUTES * 60_000);
  const node = LINES['2.x'].node();
  const { directory } = await lineProject('2.x');
  t.deepEqual(await runJson(node, directory, ['consumer.cjs']), {
    bodies: [{ flavour: 'cjs' }, { message: 'OK' }],
    spans: [['drum.invocations', 'cjs-user']],
    extracted: { 'gen_ai.request.consumer_id': 'cjs-user' },
  });
  t.deepEqual(await runJson(node, directory, ['consumer.mjs']), {
    bodies: [{ flavour: 'esm' }, { message: 'OK' }],
    spans: [['drum.invocations', 'esm-user']],
    extracted: { 'gen_ai.request.consumer_id': 'esm-user' },
    sameInstance: true,
  });
});

test('installed from a git URL into a 3.x application, the instrumentation alone brings no SDK package, and drum-otel/setup works after the README line', async (t) => {
  t.timeout(2 * INSTALL_MINUTES * 60_000);
  const consumer = project('git-setup');
  cpSync(join(fixtures, 'setup-consumer'), consumer, { recursive: true });
  // npm clones the repository's committed HEAD and builds dist/ with the `prepare` script.
  await npmInstall(consumer, ['@opentelemetry/api@1.10', ...APPLICATION_PACKAGES, `git+file://${root}`]);
  t.deepEqual([...(await installedPackages(consumer))].filter((name) => SDK_LIKE.test(name)), []);

  // Without the SDK packages: the main entry loads, the setup entry names the install command.
  t.true((await nodeFailure(consumer, "require('drum-otel/setup')")).includes(SETUP_INSTALL_COMMAND));
  t.true((await nodeFailure(consumer, "await import('drum-otel/setup')", '--input-type=module')).includes(SETUP_INSTALL_COMMAND));
  const main = await runJson(process.execPath, consumer, ['-e', "console.log(JSON.stringify({ type: typeof require('drum-otel').instrumentControllers }))"]);
  t.deepEqual(main, { type: 'function' });

  await npmInstall(consumer, SETUP_INSTALL_COMMAND.split(' ').slice(2));
  t.is((await apiCopies(consumer)).length, 1);
  const entries = await runJson(process.execPath, consumer, ['load-entries.mjs']);
  t.deepEqual(entries.setup, ['setupOtel']);
  t.true((entries.main as string[]).includes('instrumentControllers'));
  t.false((entries.main as string[]).includes('setupOtel'));

  const receiver = await startReceiver();
  try {
    const report = await runJson(process.execPath, consumer, ['export-span.cjs'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    t.deepEqual(report, { enabled: true, body: { served: true } });
    // setupOtel instruments outgoing requests too: the fixture's own fetch may add a CLIENT span (whether it
    // ended before shutdown() is up to undici), nothing else.
    const spans = await receiver.waitForSpans(1);
    t.deepEqual(
      spans.filter((span) => span.kind !== 3).map((span) => [span.name, span.kind, span.attributes['http.route'], span.resource['service.name']]),
      [['drum.invocations', 2, '/predict/', 'setup-consumer']],
    );
  } finally {
    await receiver.close();
  }
});
