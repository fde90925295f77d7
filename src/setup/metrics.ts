import { OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { ExporterPlan } from './exporter-plan';
import type { MetricsPlan } from './plan';

/**
 * Whether `plan` has a metric reader. An SDK meter provider takes its readers when it is built: one without
 * any records nothing, yet every measurement made for it (drum-otel's of each request among them) is paid.
 */
export function hasMetricReader(plan: MetricsPlan): boolean {
  return 'reader' in plan || plan.exporters.length > 0;
}

/**
 * The metric readers of `plan`: one periodic reader per exporter. The OTLP exporters read
 * `OTEL_EXPORTER_OTLP_*` (endpoint with `v1/metrics`, headers, compression, timeout, certificates, temporality
 * preference) as they are built here.
 */
export function createMetricReaders(plan: MetricsPlan): IMetricReader[] {
  if ('reader' in plan) return [plan.reader];
  const { exportIntervalMillis, exportTimeoutMillis } = plan;
  return plan.exporters.map((exporterPlan) => {
    const exporter = createMetricExporter(exporterPlan);
    return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis });
  });
}

function createMetricExporter(plan: ExporterPlan): PushMetricExporter {
  switch (plan.kind) {
    case 'console':
      return new ConsoleMetricExporter();
    case 'otlp':
      return plan.protocol === 'http/json' ? new OTLPJsonMetricExporter() : new OTLPProtobufMetricExporter();
  }
}
