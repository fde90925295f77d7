/**
 * A cluster of two workers, each setting up OpenTelemetry after the fork as the example server's workers do,
 * counting its worker id on `cluster.worker.work` and shutting down (which exports the metrics). The primary
 * sets nothing up, prints its pid, and exits 0 once both workers did.
 */
import cluster from 'node:cluster';
import { metrics } from '@opentelemetry/api';
import { setupOtel } from '../../src/setup/setup-otel';

const WORKERS = 2;

if (cluster.isPrimary) {
  console.log(`primary ${process.pid}`);
  let exited = 0;
  let failed = false;
  cluster.on('exit', (_worker, code) => {
    failed ||= code !== 0;
    if (++exited === WORKERS) process.exit(failed ? 1 : 0);
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
} else {
  const otel = setupOtel();
  metrics.getMeter('metrics-cluster').createCounter('cluster.worker.work').add(cluster.worker!.id);
  void otel.shutdown().then(() => process.exit(0));
}
