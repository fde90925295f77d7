import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { TracesPlan } from './plan';

/**
 * The span processors of `plan`. The OTLP exporters read `OTEL_EXPORTER_OTLP_*` (endpoint, headers,
 * compression, timeout, certificates) and the batch processor reads `OTEL_BSP_*` as they are built here.
 */
export function createSpanProcessors(plan: TracesPlan): SpanProcessor[] {
  const { processor } = plan;
  if (typeof processor === 'object') return [processor];
  return plan.exporters.map((exporterPlan) => {
    const exporter = createSpanExporter(exporterPlan);
    return processor === 'simple' ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  });
}

function createSpanExporter(plan: TracesPlan['exporters'][number]): SpanExporter {
  switch (plan.kind) {
    case 'given':
      return plan.exporter;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      return plan.protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtobufTraceExporter();
  }
}
