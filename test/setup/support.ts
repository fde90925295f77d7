import { trace } from '@opentelemetry/api';
import type { Environment } from '../../src/setup/environment';
import { setupOtel } from '../../src/setup/setup-otel';
import { plainAttributes, type KeyValue } from '../e2e/otlp-json';
import { plainBody, startReceiver, type OtlpReceiver } from '../e2e/otlp-receiver';

/** Sets variables of `process.env` for the duration of `run` (`undefined` unsets), restoring them after. */
export async function withEnv<T>(variables: Environment, run: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const assign = (values: Environment) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  assign(variables);
  try {
    return await run();
  } finally {
    assign(saved);
  }
}

/** Whether a span started through the global API now records (a real provider is registered). */
export function globalTracingRecords(): boolean {
  const span = trace.getTracer('probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  return recording;
}

/**
 * Runs setupOtel with the variables `variables` gives for a fresh loopback receiver, runs `during`, shuts
 * down (exporting what is left) and closes the receiver, which keeps what it got.
 */
export async function exportingTo(
  variables: (receiver: OtlpReceiver) => Environment,
  during: (receiver: OtlpReceiver) => Promise<void> | void,
): Promise<OtlpReceiver> {
  const receiver = await startReceiver();
  try {
    await withEnv(variables(receiver), async () => {
      const otel = setupOtel({ logLevel: 'none' });
      await during(receiver);
      await otel.shutdown();
    });
  } finally {
    await receiver.close();
  }
  return receiver;
}

/** Waits until `done()` holds or `timeoutMs` passed, polling every few milliseconds. */
export async function waitUntil(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A log record of an OTLP/HTTP JSON export, with its scope and its resource's attributes. */
export interface ExportedLogRecord {
  readonly body: unknown;
  readonly severityNumber: number | undefined;
  readonly severityText: string | undefined;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly scope: string;
  readonly resource: Readonly<Record<string, unknown>>;
}

type JsonLogRecord = {
  body?: { stringValue?: string };
  severityNumber?: number;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  attributes?: KeyValue[];
};
type JsonLogsExport = {
  resourceLogs?: { resource?: { attributes?: KeyValue[] }; scopeLogs?: { scope?: { name?: string }; logRecords?: JsonLogRecord[] }[] }[];
};

/** Every log record of every http/json export to `/v1/logs` the receiver got. */
export function exportedLogRecords(receiver: OtlpReceiver): ExportedLogRecord[] {
  const bodies = receiver.exports.filter((received) => received.path.endsWith('/v1/logs') && received.contentType.includes('json'));
  return bodies.flatMap((received) => {
    const decoded = JSON.parse(plainBody(received).toString('utf8')) as JsonLogsExport;
    return (decoded.resourceLogs ?? []).flatMap((resourceLogs) =>
      (resourceLogs.scopeLogs ?? []).flatMap((scopeLogs) =>
        (scopeLogs.logRecords ?? []).map((record) => ({
          body: record.body?.stringValue,
          severityNumber: record.severityNumber,
          severityText: record.severityText,
          traceId: record.traceId ?? '',
          spanId: record.spanId ?? '',
          attributes: plainAttributes(record.attributes),
          scope: scopeLogs.scope?.name ?? '',
          resource: plainAttributes(resourceLogs.resource?.attributes),
        })),
      ),
    );
  });
}
