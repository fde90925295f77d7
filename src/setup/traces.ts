import type { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { PooledIdGenerator } from './id-generator';
import type { TracesPlan } from './plan';
import { createSampler } from './sampler';

/**
 * The tracer provider of `plan`, always built: with no exporter, spans are still created and propagated, as
 * DRUM keeps tracing configured.
 */
export function createTracerProvider(plan: TracesPlan, resource: Resource): TracerProvider {
  return new TracerProvider({
    resource,
    idGenerator: new PooledIdGenerator(),
    sampler: createSampler(plan.sampler),
    spanLimits: plan.spanLimits,
    spanProcessors: createSpanProcessors(plan),
  });
}

/**
 * The span processors of `plan`. The OTLP exporters read `OTEL_EXPORTER_OTLP_*` (endpoint, headers,
 * compression, timeout, certificates) as they are built here.
 */
function createSpanProcessors(plan: TracesPlan): SpanProcessor[] {
  const { processor } = plan;
  if (typeof processor === 'object') return [processor];
  return plan.exporters.map((exporterPlan) => {
    const exporter = createSpanExporter(exporterPlan);
    return processor === 'simple' ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, ...plan.batch });
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
