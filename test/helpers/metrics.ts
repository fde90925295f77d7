import { DataPointType, MeterProvider, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
// A pull reader: the test collects when it wants to look (the bench's, as test/e2e shares bench code).
import { CollectingReader } from '../../bench/collecting-reader';

/** A real SDK MeterProvider whose metrics a test reads with `collect()`. */
export interface TestMeters {
  readonly provider: MeterProvider;
  /** Every metric collected now, by name, with the meter (scope) each came from. */
  collect(): Promise<Map<string, { metric: MetricData; scope: { name: string; version?: string } }>>;
}

export function createTestMeters(): TestMeters {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed: ${errors.join('; ')}`);
      const found = new Map<string, { metric: MetricData; scope: { name: string; version?: string } }>();
      for (const scopeMetrics of resourceMetrics.scopeMetrics) {
        for (const metric of scopeMetrics.metrics) {
          if (found.has(metric.descriptor.name)) throw new Error(`metric ${metric.descriptor.name} collected twice`);
          found.set(metric.descriptor.name, { metric, scope: scopeMetrics.scope });
        }
      }
      return found;
    },
  };
}

/** A histogram point as plain values: what tests compare. */
export interface HistogramPoint {
  readonly attributes: Attributes;
  readonly count: number;
  readonly sum: number;
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
}

/** The points of a histogram metric, sorted by their attributes' JSON so tests can compare them in order. */
export function histogramPoints(metric: MetricData | undefined): HistogramPoint[] {
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<Histogram>[])
    .map((point) => ({
      attributes: point.attributes,
      count: point.value.count,
      sum: point.value.sum ?? Number.NaN,
      boundaries: point.value.buckets.boundaries,
      counts: point.value.buckets.counts,
    }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

/** A real SDK MeterProvider whose `collect(scope)` returns the metrics of one meter (default: drum-otel's). */
export function meterProviderWithReader(): { provider: MeterProvider; collect(scope?: string): Promise<MetricData[]> } {
  const meters = createTestMeters();
  return {
    provider: meters.provider,
    async collect(scope = 'drum-otel') {
      return [...(await meters.collect()).values()].filter((found) => found.scope.name === scope).map((found) => found.metric);
    },
  };
}

/** The one metric with this name; fails loudly when there is none or more than one. */
export function metricNamed(metrics: readonly MetricData[], name: string): MetricData {
  const matching = metrics.filter((metric) => metric.descriptor.name === name);
  if (matching.length !== 1) throw new Error(`expected one metric ${name}, got ${matching.length} of [${metrics.map((m) => m.descriptor.name).join(', ')}]`);
  return matching[0];
}

/** The SDK's own histogram points of a metric, each as its attributes and its value. */
export function histogramDataPoints(metric: MetricData): DataPoint<Histogram>[] {
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
