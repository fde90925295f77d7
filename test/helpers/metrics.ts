import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';

/** A pull reader: the test collects when it wants to look, as an exporter's reader would at its interval. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A real SDK MeterProvider with an in-memory reader. */
export function meterProviderWithReader(): { provider: MeterProvider; collect(scope?: string): Promise<MetricData[]> } {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect(scope = 'drum-otel') {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed: ${errors.join('; ')}`);
      return resourceMetrics.scopeMetrics.filter((scopeMetrics) => scopeMetrics.scope.name === scope).flatMap((scopeMetrics) => scopeMetrics.metrics);
    },
  };
}

/** The one metric with this name; fails loudly when there is none or more than one. */
export function metricNamed(metrics: readonly MetricData[], name: string): MetricData {
  const matching = metrics.filter((metric) => metric.descriptor.name === name);
  if (matching.length !== 1) throw new Error(`expected one metric ${name}, got ${matching.length} of [${metrics.map((m) => m.descriptor.name).join(', ')}]`);
  return matching[0];
}

/** The histogram points of a metric, each as its attributes and its value. */
export function histogramPoints(metric: MetricData): DataPoint<Histogram>[] {
  if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${metric.descriptor.name} is not a histogram`);
  return metric.dataPoints;
}

/** The sum points of a metric (a counter or up-down counter), each as its attributes and its value. */
export function sumPoints(metric: MetricData): DataPoint<number>[] {
  if (metric.dataPointType !== DataPointType.SUM) throw new Error(`${metric.descriptor.name} is not a sum`);
  return metric.dataPoints;
}

/** Attributes as one sortable key, to compare sets of points regardless of their order. */
export function attributeKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]));
}
