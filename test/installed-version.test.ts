import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedVersion } from '../src/installed-version';

test('installedVersion walks up from the entry point to the package.json of that name', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'drum-otel-deps-'));
  const packageDirectory = join(root, 'node_modules', '@opentelemetry', 'sdk-trace');
  mkdirSync(join(packageDirectory, 'dist', 'nested'), { recursive: true });
  writeFileSync(join(packageDirectory, 'package.json'), JSON.stringify({ name: '@opentelemetry/sdk-trace', version: '2.12.0' }));
  writeFileSync(join(packageDirectory, 'dist', 'nested', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  t.is(installedVersion('@opentelemetry/sdk-trace', () => join(packageDirectory, 'dist', 'nested', 'index.cjs')), '2.12.0');
});

test('a package that does not resolve has no version', (t) => {
  t.is(installedVersion('@opentelemetry/not-installed', require.resolve), undefined);
});
