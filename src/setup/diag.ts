import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import type { OtelLogLevel } from './types';

const LOG_LEVELS: Readonly<Record<OtelLogLevel, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** The levels `OTEL_LOG_LEVEL` and the `logLevel` option accept. */
export const LOG_LEVEL_NAMES = Object.keys(LOG_LEVELS) as readonly OtelLogLevel[];

/**
 * The logger setupOtel installs, writing to `target` (the console). Until {@link started} it passes each
 * warning on once: the trace and the metric exporters both read the general `OTEL_EXPORTER_OTLP_*` variables,
 * and would each warn about the same bad value.
 */
export class StartupLogger implements DiagLogger {
  private warned: Set<string> | undefined = new Set();
  readonly error: DiagLogger['error'];
  readonly info: DiagLogger['info'];
  readonly debug: DiagLogger['debug'];
  readonly verbose: DiagLogger['verbose'];

  constructor(private readonly target: DiagLogger = new DiagConsoleLogger()) {
    this.error = target.error.bind(target);
    this.info = target.info.bind(target);
    this.debug = target.debug.bind(target);
    this.verbose = target.verbose.bind(target);
  }

  warn(message: string, ...args: unknown[]): void {
    if (this.warned?.has(message)) return;
    this.warned?.add(message);
    this.target.warn(message, ...args);
  }

  /** From now on, every warning is printed. */
  started(): void {
    this.warned = undefined;
  }
}

/**
 * Installs a console `diag` logger at `level` (`none` leaves `diag` as it is) and reports SDK errors through
 * it in one line each. Runs before anything of the SDK is built, so that what the SDK and the exporters say
 * while they read their variables reaches the logger. Returns what to call once everything is built.
 */
export function installDiagnostics(level: OtelLogLevel): () => void {
  setGlobalErrorHandler(reportExportError);
  if (level === 'none') return () => {};
  const logger = new StartupLogger();
  diag.setLogger(logger, { logLevel: LOG_LEVELS[level], suppressOverrideMessage: true });
  return () => logger.started();
}

/** Gives the SDK's global error handler back its default. */
export function uninstallDiagnostics(): void {
  setGlobalErrorHandler(loggingErrorHandler());
}

/**
 * What the SDK reports through its global error handler (failed exports, mostly), as one `diag.error` line:
 * the default handler logs each failure as a JSON dump with its stack, dozens of lines a second while a
 * collector is down.
 */
export function reportExportError(error: unknown): void {
  diag.error(`drum-otel: OpenTelemetry SDK error (usually a failed export): ${errorText(error)}`);
}

/** An error as one line: its message (a provider's forceFlush rejects with a list of them). */
export function errorText(error: unknown): string {
  if (Array.isArray(error)) return error.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}
