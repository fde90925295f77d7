/** A pull metric reader for the bench and the tests: the SDK keeps measurements for each reader it has, and this one collects only when asked. */
import { MetricReader } from '@opentelemetry/sdk-metrics';

export class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}
