import { plainAttributes, type KeyValue } from './otlp-json';

/** A data point of an exported metric, numbers decoded (the JSON encoding may carry 64-bit ones as strings). */
export interface ExportedDataPoint {
  readonly attributes: Readonly<Record<string, unknown>>;
  /** A sum's or a gauge's value. */
  readonly value?: number;
  /** A histogram's count, sum, bucket counts and bucket boundaries. */
  readonly count?: number;
  readonly sum?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
}

/** A metric of an ExportMetricsServiceRequest (http/json), with its scope and its resource's attributes. */
export interface ExportedMetric {
  readonly name: string;
  readonly unit: string;
  readonly type: 'sum' | 'gauge' | 'histogram';
  /** `1` delta, `2` cumulative (AggregationTemporality); gauges have none. */
  readonly temporality: number | undefined;
  readonly dataPoints: readonly ExportedDataPoint[];
  readonly scope: string;
  readonly resource: Readonly<Record<string, unknown>>;
}

type Numeric = number | string;
type JsonDataPoint = {
  attributes?: KeyValue[];
  asInt?: Numeric;
  asDouble?: Numeric;
  count?: Numeric;
  sum?: Numeric;
  bucketCounts?: Numeric[];
  explicitBounds?: Numeric[];
};
type JsonPoints = { dataPoints?: JsonDataPoint[]; aggregationTemporality?: number };
type JsonMetric = { name: string; unit?: string; sum?: JsonPoints; gauge?: JsonPoints; histogram?: JsonPoints };
type JsonMetricsExport = {
  resourceMetrics?: {
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: { scope?: { name?: string }; metrics?: JsonMetric[] }[];
  }[];
};

const numberOf = (value: Numeric | undefined): number | undefined => (value === undefined ? undefined : Number(value));

function dataPoint(point: JsonDataPoint): ExportedDataPoint {
  return {
    attributes: plainAttributes(point.attributes),
    value: numberOf(point.asInt ?? point.asDouble),
    count: numberOf(point.count),
    sum: numberOf(point.sum),
    bucketCounts: point.bucketCounts?.map(Number),
    explicitBounds: point.explicitBounds?.map(Number),
  };
}

function decodeMetric(metric: JsonMetric, scope: string, resource: Record<string, unknown>): ExportedMetric {
  const type = metric.sum !== undefined ? 'sum' : metric.histogram !== undefined ? 'histogram' : 'gauge';
  const points = metric.sum ?? metric.histogram ?? metric.gauge ?? {};
  return {
    name: metric.name,
    unit: metric.unit ?? '',
    type,
    temporality: points.aggregationTemporality,
    dataPoints: (points.dataPoints ?? []).map(dataPoint),
    scope,
    resource,
  };
}

/** The metrics of one http/json export body (none for a body of spans). */
export function decodeJsonMetrics(body: Buffer): ExportedMetric[] {
  const decoded = JSON.parse(body.toString('utf8')) as JsonMetricsExport;
  return (decoded.resourceMetrics ?? []).flatMap((resourceMetrics) => {
    const resource = plainAttributes(resourceMetrics.resource?.attributes);
    return (resourceMetrics.scopeMetrics ?? []).flatMap((scopeMetrics) =>
      (scopeMetrics.metrics ?? []).map((metric) => decodeMetric(metric, scopeMetrics.scope?.name ?? '', resource)),
    );
  });
}
