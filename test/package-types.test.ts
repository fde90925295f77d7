import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// What a TypeScript application sees when it imports both entries of the built package: a consumer project
// whose node_modules/drum-otel is this repository's package.json beside its built dist/ (linked: its imports of
// @opentelemetry/api, routing-controllers... resolve from this repository's node_modules), type-checked by the
// repository's own tsc under each module setting the README names. "moduleResolution": "node" (node10, what
// "module": "commonjs" implies) ignores package.json "exports": `drum-otel/setup` resolves only through
// "typesVersions", which the last test takes away to show that the check sees the difference.

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** One tsc run (a few seconds when idle) gets minutes: the suite's other files keep the cores busy meanwhile. */
const TSC_MINUTES = 3;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

// Each `@ts-expect-error` fails the check (TS2578) when its line compiles: when an import is `any`, not the real types.
const CONSUMER = `import { setupOtel, type SetupOtelOptions } from 'drum-otel/setup';
import { Traced } from 'drum-otel';

const options: SetupOtelOptions = {};
export const entries: readonly unknown[] = [setupOtel, Traced, options];

// @ts-expect-error a number is not setupOtel's options
setupOtel(42);
// @ts-expect-error a number is not Traced's name or options
Traced(42);
`;

const temporary: string[] = [];
test.after.always(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A consumer project with these compiler options and this package.json for drum-otel. */
function consumer(compilerOptions: Record<string, unknown>, packageJson: Record<string, unknown> = manifest): string {
  const dir = mkdtempSync(join(tmpdir(), 'drum-otel-types-'));
  temporary.push(dir);
  const installed = join(dir, 'node_modules', 'drum-otel');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(installed, 'package.json'), JSON.stringify(packageJson, null, 2));
  symlinkSync(join(root, 'dist'), join(installed, 'dist'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  writeFileSync(join(dir, 'index.ts'), CONSUMER);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      ...compilerOptions,
    },
    files: ['index.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return dir;
}

/** `tsc --noEmit -p` of the project: its exit code and the TSxxxx codes it reported. */
async function typeCheck(dir: string): Promise<{ code: number; errors: string[]; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TSC, '--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { code: 0, errors: [], output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    return { code: failed.code ?? -1, errors: [...output.matchAll(/error (TS\d+)/g)].map((match) => match[1]), output };
  }
}

test.before(() => {
  if (!existsSync(join(root, 'dist', 'index.d.ts')) || !existsSync(join(root, 'dist', 'setup', 'index.d.ts'))) {
    throw new Error('dist/ is not built: run npm run build (npm test builds it first)');
  }
});

test('package.json maps drum-otel/setup for node10 resolution through typesVersions and keeps the exports map', (t) => {
  t.deepEqual(manifest.typesVersions, { '*': { setup: ['dist/setup/index.d.ts'] } });
  const exportsMap = manifest.exports as Record<string, { types?: string }>;
  t.is(exportsMap['.']?.types, './dist/index.d.ts');
  t.is(exportsMap['./setup']?.types, './dist/setup/index.d.ts');
});

const SETTINGS: Record<string, Record<string, unknown>> = {
  '"module": "commonjs", "moduleResolution": "node" (node10)': { module: 'commonjs', moduleResolution: 'node' },
  '"module": "commonjs" alone (implies node10)': { module: 'commonjs' },
  '"module": "node16"': { module: 'node16', moduleResolution: 'node16' },
  '"module": "nodenext"': { module: 'nodenext', moduleResolution: 'nodenext' },
  '"module": "preserve", "moduleResolution": "bundler"': { module: 'preserve', moduleResolution: 'bundler' },
};

for (const [name, compilerOptions] of Object.entries(SETTINGS)) {
  test.serial(`an application with ${name} type-checks imports of drum-otel and drum-otel/setup`, async (t) => {
    t.timeout(TSC_MINUTES * 60_000);
    const result = await typeCheck(consumer(compilerOptions));
    t.deepEqual([result.code, result.errors], [0, []], result.output);
  });
}

test.serial('control: without typesVersions, node10 resolution cannot find drum-otel/setup (TS2307) and nothing else fails', async (t) => {
  t.timeout(TSC_MINUTES * 60_000);
  const { typesVersions: _dropped, ...withoutTypesVersions } = manifest;
  const result = await typeCheck(consumer({ module: 'commonjs', moduleResolution: 'node' }, withoutTypesVersions));
  // TS2307 for the import; with setupOtel unresolved (any), its @ts-expect-error has nothing to expect (TS2578).
  t.deepEqual(result.errors.sort(), ['TS2307', 'TS2578'], result.output);
  t.regex(result.output, /Cannot find module 'drum-otel\/setup'/);
});
