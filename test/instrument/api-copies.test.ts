import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const fixture = join(__dirname, '..', 'fixtures', 'api-copies.js');

function drumOtelLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes('drum-otel'));
}

test('a provider registered through another @opentelemetry/api copy: one warning on stderr naming both versions', async (t) => {
  const { stdout, stderr } = await run(process.execPath, [fixture, 'other-copy'], { env: { PATH: process.env.PATH } });
  // The spans are lost, which is what the warning is for.
  t.is(stdout, '[]\n');
  const lines = drumOtelLines(stderr);
  t.is(lines.length, 1, stderr);
  const own = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'node_modules', '@opentelemetry', 'api', 'package.json'), 'utf8')).version;
  t.is(
    lines[0].replace(/^\(node:\d+\) /, ''),
    `[DRUM_OTEL_API_COPIES] Warning: drum-otel: the tracer provider was registered through @opentelemetry/api 1.9.0, ` +
      `which the @opentelemetry/api ${own} that drum-otel loads cannot see, so its requests get no span. ` +
      'Install one copy of @opentelemetry/api (npm ls @opentelemetry/api lists them; npm dedupe, or align the versions).',
  );
});

test('a provider registered through the API drum-otel loads: spans, and no warning', async (t) => {
  const { stdout, stderr } = await run(process.execPath, [fixture, 'same-copy'], { env: { PATH: process.env.PATH } });
  t.is(stdout, '["drum.GET /ping/","drum.GET /ping/"]\n');
  t.deepEqual(drumOtelLines(stderr), []);
});
