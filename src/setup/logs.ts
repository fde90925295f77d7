import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import type { ExporterPlan } from './exporter-plan';
import type { LogsPlan } from './plan';

/**
 * Whether `plan` has a log record processor. Without one no LoggerProvider is registered: the API's no-op
 * logger costs nothing, and a logger provider the application registered itself stays in place.
 */
export function hasLogRecordProcessor(plan: LogsPlan): boolean {
  return typeof plan.processor === 'object' || plan.exporters.length > 0;
}

/**
 * The logger provider of `plan`, with the resource of the spans and metrics: records emitted inside a span
 * carry its trace and span ids. The OTLP exporters read `OTEL_EXPORTER_OTLP_*` (endpoint with `v1/logs`,
 * headers, compression, timeout, certificates) as they are built here.
 */
export function createLoggerProvider(plan: LogsPlan, resource: Resource): LoggerProvider {
  return new LoggerProvider({ resource, logRecordLimits: plan.limits, processors: createLogRecordProcessors(plan) });
}

function createLogRecordProcessors(plan: LogsPlan): LogRecordProcessor[] {
  const { processor } = plan;
  if (typeof processor === 'object') return [processor];
  return plan.exporters.map((exporterPlan) => {
    const exporter = createLogRecordExporter(exporterPlan);
    return processor === 'simple'
      ? new SimpleLogRecordProcessor({ exporter })
      : new BatchLogRecordProcessor({ exporter, ...plan.batch });
  });
}

function createLogRecordExporter(plan: ExporterPlan): LogRecordExporter {
  switch (plan.kind) {
    case 'console':
      return new ConsoleLogRecordExporter();
    case 'otlp':
      return plan.protocol === 'http/json' ? new OTLPJsonLogExporter() : new OTLPProtobufLogExporter();
  }
}
