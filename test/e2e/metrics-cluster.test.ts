import test from 'ava';
import { join } from 'node:path';
import { withReceiver } from './otlp-receiver';
import { runToExit } from './server-process';

const CLUSTER = join(__dirname, 'metrics-cluster.js');

test('two cluster workers export their own metrics; the resource says which process; shutdown exports them', async (t) => {
  await withReceiver(async (receiver) => {
    const exit = await runToExit(CLUSTER, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    t.deepEqual([exit.code, exit.stderr], [0, '']);
    const primaryPid = Number(/^primary (\d+)$/m.exec(exit.stdout)?.[1]);
    const work = receiver.metrics().filter((metric) => metric.name === 'cluster.worker.work');
    t.deepEqual(work.map((metric) => metric.dataPoints.map((point) => point.value)[0]).sort(), [1, 2]);
    const pids = new Set(work.map((metric) => metric.resource['process.pid']));
    t.is(pids.size, 2, 'one series per worker process');
    t.false(pids.has(primaryPid), 'the primary exports nothing');
    t.true([...pids].every((pid) => typeof pid === 'number' && pid > 0));
  });
});
