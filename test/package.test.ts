import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
let consumer: string;

// One packed tarball, installed the way a user installs it, shared by the ESM and CommonJS checks.
test.before(() => {
  consumer = mkdtempSync(join(tmpdir(), 'drum-otel-consumer-'));
  execFileSync('npm', ['pack', '--pack-destination', consumer, '--silent'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = readdirSync(consumer).find((name) => name.endsWith('.tgz'))!;
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  cpSync(join(__dirname, '..', '..', 'test', 'fixtures', 'consumer'), consumer, { recursive: true });
  execFileSync(
    'npm',
    [
      'install', `./${tarball}`, 'routing-controllers@0.11', 'express@4', 'class-validator@0.14', 'class-transformer@0.5',
      'reflect-metadata@0.2', '@opentelemetry/api@1.9',
      '--prefer-offline', '--no-audit', '--no-fund', '--silent',
    ],
    { cwd: consumer, stdio: ['ignore', 'pipe', 'inherit'] },
  );
});

test.after.always(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

function run(script: string): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, [script], { cwd: consumer, encoding: 'utf8' }));
}

test('the packed tarball ships dist with types and an ES module facade, and no sources or tests', (t) => {
  const files = execFileSync('tar', ['-tzf', readdirSync(consumer).find((name) => name.endsWith('.tgz'))!], { cwd: consumer, encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
  for (const expected of ['package/dist/index.js', 'package/dist/index.mjs', 'package/dist/index.d.ts', 'package/package.json']) {
    t.true(files.includes(expected), expected);
  }
  t.deepEqual(files.filter((file) => /^package\/(src|test|build|examples)\//.test(file)), []);
});

test('a CommonJS consumer can require() it and gets spans', (t) => {
  t.deepEqual(run('consumer.cjs'), {
    bodies: [{ flavour: 'cjs' }, { message: 'OK' }],
    spans: [['drum.invocations', 'cjs-user']],
    extracted: { 'gen_ai.request.consumer_id': 'cjs-user' },
  });
});

test('an ES module consumer can import it, and import and require share one instance', (t) => {
  t.deepEqual(run('consumer.mjs'), {
    bodies: [{ flavour: 'esm' }, { message: 'OK' }],
    spans: [['drum.invocations', 'esm-user']],
    extracted: { 'gen_ai.request.consumer_id': 'esm-user' },
    sameInstance: true,
  });
});
