import 'reflect-metadata';
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { startServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';

const run = promisify(execFile);
const { exporter } = registerTracing();
const diagRecords = captureDiag();
const warnings: (Error & { code?: string })[] = [];
process.on('warning', (warning) => warnings.push(warning));

test('instrumenting after the routes were built prints one warning line on stderr, with no logger installed', async (t) => {
  const fixture = join(__dirname, '..', 'fixtures', 'late-instrumentation.js');
  const { stdout, stderr } = await run(process.execPath, [fixture], { env: { PATH: process.env.PATH } });
  t.is(stdout, '[{"first":true},{"second":true},{"first":true},{"second":true}]\n');
  const lines = stderr.split('\n').filter((line) => line.includes('drum-otel'));
  t.is(lines.length, 1, stderr);
  t.regex(
    lines[0],
    /^\(node:\d+\) \[DRUM_OTEL_LATE_INSTRUMENTATION\] Warning: drum-otel: FirstController\.get was called by routes that routing-controllers built before instrumentControllers\(\) ran, so its requests get no span\. Call instrumentControllers\(\) before createExpressServer\(\)\/useExpressServer\(\) \(or createKoaServer\(\)\/useKoaServer\(\)\)\.$/,
  );
});

test.serial('a route no plan matches (an action added after instrumenting) warns once per process and through diag, and is served', async (t) => {
  @JsonController()
  class GrowingController {
    @Get('/planned/')
    planned() {
      return { planned: true };
    }

    added() {
      return { added: true };
    }
  }
  instrumentControllers([GrowingController]);
  // A decorator applied after instrumentControllers(), as a mixin or a late plugin might.
  Get('/added/')(GrowingController.prototype, 'added', Object.getOwnPropertyDescriptor(GrowingController.prototype, 'added')!);
  @JsonController()
  class OtherGrowingController {
    @Get('/other-planned/')
    planned() {
      return { planned: true };
    }

    late() {
      return { late: true };
    }
  }
  instrumentControllers([OtherGrowingController]);
  Get('/late/')(OtherGrowingController.prototype, 'late', Object.getOwnPropertyDescriptor(OtherGrowingController.prototype, 'late')!);
  const server = await startServer({ controllers: [GrowingController, OtherGrowingController] });
  try {
    const bodies: unknown[] = [];
    for (const path of ['/added/', '/added/', '/late/', '/planned/']) bodies.push(await (await fetch(`${server.url}${path}`)).json());
    t.deepEqual(bodies, [{ added: true }, { added: true }, { late: true }, { planned: true }]);
    t.deepEqual((await finishedSpans(exporter, 1)).map((span) => span.name), ['drum.GET /planned/']);
    await new Promise((resolve) => setImmediate(resolve));
    const unmatched = (controller: string, route: string) =>
      `drum-otel: no action of ${controller} has the route ${route} that Express matched, so its requests get no span. ` +
      'Were routes added to the controller after instrumentControllers() ran?';
    t.deepEqual(
      warnings.map((warning) => [warning.code, warning.message]),
      [['DRUM_OTEL_UNMATCHED_ROUTE', unmatched('GrowingController', '/added/')]],
    );
    t.deepEqual(
      diagRecords.map((record) => [record.level, record.message]),
      [
        ['warn', unmatched('GrowingController', '/added/')],
        ['warn', unmatched('OtherGrowingController', '/late/')],
      ],
    );
  } finally {
    await server.close();
  }
});
