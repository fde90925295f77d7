import { diag } from '@opentelemetry/api';

/**
 * The `code` of each process warning drum-otel emits, for `process.on('warning')` filters and
 * `--disable-warning`. Each names a misuse whose requests get no span.
 */
export type WarningCode =
  | 'DRUM_OTEL_LATE_INSTRUMENTATION'
  | 'DRUM_OTEL_UNMATCHED_ROUTE'
  | 'DRUM_OTEL_API_COPIES'
  | 'DRUM_OTEL_UNKNOWN_DRIVER';

const emitted = new Set<WarningCode>();

/**
 * Reports a misuse that loses spans where it is seen without any set-up: through `diag` every time it is
 * found, and once per process (per code) through `process.emitWarning`, which Node prints on stderr.
 */
export function warnMisuse(code: WarningCode, message: string): void {
  diag.warn(`drum-otel: ${message}`);
  if (emitted.has(code)) return;
  emitted.add(code);
  process.emitWarning(`drum-otel: ${message}`, { code });
}
