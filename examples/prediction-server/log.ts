/**
 * The example servers' logger: pino, bridged to OpenTelemetry by `@opentelemetry/instrumentation-pino`. Each
 * record is printed as one readable line (its message, and the trace it belongs to), warnings and errors on
 * stderr; when setupOtel registered a LoggerProvider (`OTEL_LOGS_EXPORTER`), the same record is also exported
 * as an OpenTelemetry log record, carrying the trace and span ids of the request it was written in.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { requestPath, requestTarget } from './request-target';

/** pino's numeric level of `warn`: records at or above it are printed on stderr. */
const WARN_LEVEL = 40;

let logger: Logger | undefined;

/** What the printing destination reads of one pino record (JSON). */
interface PrintedRecord {
  readonly level: number;
  readonly msg?: string;
  readonly trace_id?: string;
  readonly err?: { readonly stack?: string };
}

/** One line per record: the message, ` (trace <id>)` when written inside a span, the error's stack after it. */
export function recordLine(record: PrintedRecord): string {
  const trace = record.trace_id === undefined ? '' : ` (trace ${record.trace_id})`;
  const stack = record.err?.stack === undefined ? '' : `\n${record.err.stack}`;
  return `${record.msg ?? ''}${trace}${stack}\n`;
}

/** A pino destination that prints {@link recordLine}s: synchronous, so a line is out before the process exits. */
const terminal = {
  write(json: string): void {
    const record = JSON.parse(json) as PrintedRecord;
    (record.level >= WARN_LEVEL ? process.stderr : process.stdout).write(recordLine(record));
  },
};

/**
 * Bridges the logger to OpenTelemetry: its records get the active span's ids (printed as the trace) and go to
 * the global LoggerProvider as log records. Called once OpenTelemetry is set up and before the first record:
 * the pino instrumentation patches pino's factory when pino is loaded, which {@link log} does on first use. A
 * process that never sets OpenTelemetry up (a start that fails, ENABLE_OTEL=false) does not load it at all.
 */
export function bridgeLogsToOpenTelemetry(): void {
  if (logger !== undefined) throw new Error('bridgeLogsToOpenTelemetry() must run before the first log()');
  registerInstrumentations({ instrumentations: [new PinoInstrumentation()] });
}

/** The process's logger, made on first use. */
export function log(): Logger {
  if (logger !== undefined) return logger;
  const pino = createRequire(__filename)('pino') as typeof import('pino');
  logger = pino.pino({ base: undefined }, terminal);
  return logger;
}

/**
 * Logs a request the server answered with an error: a 4xx at WARN (the client's mistake) and a 5xx at ERROR,
 * with the reason. Called where the answer is sent, so the record is written inside the request's span.
 */
export function logRejection(request: IncomingMessage, status: number, reason: string, error?: unknown): void {
  const fields = { 'http.request.method': request.method, 'url.path': requestPath(request), 'http.response.status_code': status };
  const message = `${request.method} ${requestTarget(request)} -> ${status}: ${reason}`;
  if (status >= 500) log().error({ ...fields, err: error }, message);
  else log().warn(fields, message);
}
