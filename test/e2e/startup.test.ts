import test from 'ava';
import { keepCoresBusy } from './busy-cores';
import { GATEWAY, PREDICTION_SERVER, runToExit } from './server-process';

// A misconfigured server refuses to start, saying which of its own variables is wrong; it never runs
// half-configured. (Wrong OpenTelemetry variables do not stop it: see otel-environment.test.ts.)
// Each case starts a process: they run while other processes keep every core busy, as on a shared machine.

keepCoresBusy();

const cases: readonly (readonly [env: Record<string, string>, message: string])[] = [
  [{ ENABLE_OTEL: 'maybe' }, 'ENABLE_OTEL="maybe" is invalid; expected true or false'],
  [
    { MLOPS_RUNTIME_PARAM_ENABLE_OTEL: '{"type":"boolean","payload":"yes"}' },
    'MLOPS_RUNTIME_PARAM_ENABLE_OTEL="{\\"type\\":\\"boolean\\",\\"payload\\":\\"yes\\"}" is invalid; expected JSON such as {"type":"boolean","payload":true}',
  ],
  [
    { MLOPS_RUNTIME_PARAM_ENABLE_OTEL: 'true' },
    'MLOPS_RUNTIME_PARAM_ENABLE_OTEL="true" is invalid; expected JSON such as {"type":"boolean","payload":true}',
  ],
  [
    { ENABLE_OTEL: 'true', MLOPS_RUNTIME_PARAM_ENABLE_OTEL: '{"type":"boolean","payload":false}' },
    'ENABLE_OTEL (true) and MLOPS_RUNTIME_PARAM_ENABLE_OTEL (false) disagree; set one of them',
  ],
  [{ PORT: 'http' }, 'PORT="http" is invalid; expected a whole number from 0 to 65535'],
  [{ WORKERS: '0' }, 'WORKERS="0" is invalid; expected a whole number from 1 to 256'],
  [{ URL_PREFIX: '/drum?x=1' }, 'URL_PREFIX="/drum?x=1" is invalid; expected a URL path such as /drum'],
];

for (const [env, message] of cases) {
  test(`prediction server with ${JSON.stringify(env)}: exits 1 naming the variable`, async (t) => {
    const exit = await runToExit(PREDICTION_SERVER, { PORT: '0', ...env });
    t.is(exit.code, 1);
    t.is(exit.stderr, `prediction server: cannot start: ${message}\n`);
    t.is(exit.stdout, '', 'nothing was served');
  });
}

test('with WORKERS=2 a worker that cannot start stops the whole server with exit 1', async (t) => {
  // A TEST-NET address no interface has: the workers' listen fails at once, without a DNS lookup.
  const exit = await runToExit(PREDICTION_SERVER, { PORT: '0', WORKERS: '2', HOST: '192.0.2.1' });
  t.is(exit.code, 1);
  t.true(exit.stderr.includes('prediction server: cannot start: bind EADDRNOTAVAIL 192.0.2.1'), exit.stderr);
  t.regex(exit.stderr, /prediction server: worker \d+ failed to start \(exit 1\); stopping/);
  t.is(exit.stdout, '');
});

test('the gateway without PREDICTION_URL: exits 1 naming the variable', async (t) => {
  const exit = await runToExit(GATEWAY, { PORT: '0' });
  t.is(exit.code, 1);
  t.is(exit.stderr, 'gateway: cannot start: PREDICTION_URL="" is invalid; expected the prediction server\'s http:// URL\n');
});
