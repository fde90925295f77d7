import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { ATTR_GEN_AI_REQUEST_CONSUMER_ID, ATTR_GEN_AI_REQUEST_CONSUMER_TYPE } from 'drum-otel';

/**
 * One short line per span, for reading in a terminal (the SDK's ConsoleSpanExporter prints a dozen lines per
 * span), e.g.
 * `span drum.invocations SERVER POST /predict/ 200 1.9ms trace=0af76519... span=b7ad6b71... parent=00f067aa... consumer=user-42/user`
 */
export function spanLine(span: ReadableSpan): string {
  const attributes = span.attributes;
  const parts = [
    'span',
    span.name,
    SpanKind[span.kind],
    attributes[ATTR_HTTP_REQUEST_METHOD],
    // A SERVER span's route template; a CLIENT span's (already redacted) URL.
    attributes[ATTR_HTTP_ROUTE] ?? attributes[ATTR_URL_FULL],
    attributes[ATTR_HTTP_RESPONSE_STATUS_CODE],
    `${hrTimeToMilliseconds(span.duration).toFixed(1)}ms`,
    span.status.code === SpanStatusCode.ERROR ? 'ERROR' : undefined,
    `trace=${span.spanContext().traceId}`,
    `span=${span.spanContext().spanId}`,
    `parent=${span.parentSpanContext?.spanId ?? '-'}`,
  ];
  const consumer = [attributes[ATTR_GEN_AI_REQUEST_CONSUMER_ID], attributes[ATTR_GEN_AI_REQUEST_CONSUMER_TYPE]];
  if (consumer.some((value) => value !== undefined)) parts.push(`consumer=${consumer.map((v) => v ?? '-').join('/')}`);
  return parts.filter((part) => part !== undefined).join(' ');
}

/** Writes {@link spanLine} of every span to a stream (stdout by default). */
export class SpanLineExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line)) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) this.write(`${spanLine(span)}\n`);
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
