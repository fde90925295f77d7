import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import type { OtelLogLevel } from './types';

/** The `diag` level of each {@link OtelLogLevel}. */
export const LOG_LEVELS: Readonly<Record<OtelLogLevel, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** Installs a console `diag` logger at `level`; `none` leaves `diag` as it is. */
export function installLogger(level: OtelLogLevel): void {
  if (level === 'none') return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: LOG_LEVELS[level], suppressOverrideMessage: true });
}

/**
 * What the SDK reports through its global error handler (failed exports, mostly), as one `diag.error` line:
 * the default handler logs each failure as a JSON dump with its stack, dozens of lines a second while a
 * collector is down.
 */
export function reportExportError(error: unknown): void {
  diag.error(`drum-otel: OpenTelemetry SDK error (usually a failed span export): ${errorText(error)}`);
}

/** An error as one line: its message (a provider's forceFlush rejects with a list of them). */
export function errorText(error: unknown): string {
  if (Array.isArray(error)) return error.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}

