import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ExporterPlan, SetupPlan } from './plan';

function createExporter(plan: ExporterPlan): SpanExporter {
  switch (plan.kind) {
    case 'given':
      return plan.exporter;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp': {
      const { url, headers, protocol } = plan.otlp;
      const Exporter = protocol === 'http/json' ? OTLPJsonTraceExporter : OTLPProtobufTraceExporter;
      return new Exporter({ url, headers: { ...headers } });
    }
  }
}

export function createProcessors(plan: Extract<SetupPlan, { enabled: true }>): SpanProcessor[] {
  const { processor } = plan;
  if (typeof processor === 'object') return [processor];
  return plan.exporters.map((exporterPlan) => {
    const exporter = createExporter(exporterPlan);
    return processor === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { ...plan.batch });
  });
}

