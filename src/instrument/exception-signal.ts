import * as api from '@opentelemetry/api';
import type { ExceptionRecording } from '../span';
import type { ExceptionSignal } from '../types';
import { INSTRUMENTATION_NAME, VERSION } from '../version';

// The semantic conventions move exceptions from span events to log records: an instrumentation that records
// them as span events lets users opt in to log records with OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN (`logs`:
// log records only; `logs/dup`: both), span events staying the default. The Logs API is part of
// @opentelemetry/api from 1.10; an application on 1.9 keeps span events.

export const EXCEPTION_SIGNAL_VARIABLE = 'OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN';
const SIGNALS: readonly ExceptionSignal[] = ['span-event', 'logs', 'logs/dup'];

/** The API's Logs entry point, absent from @opentelemetry/api before 1.10. */
function logsApi(): typeof api.logs | undefined {
  return (api as { logs?: typeof api.logs }).logs;
}

/**
 * The exception signal of the option, else of `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` (`logs`, `logs/dup`; any
 * other value is warned about through `warn` and span events kept), else `span-event`.
 */
export function chooseExceptionSignal(
  option: ExceptionSignal | undefined,
  variable: string | undefined,
  warn: (message: string) => void,
): ExceptionSignal {
  if (option !== undefined) return option;
  const value = variable?.trim();
  if (value === undefined || value === '') return 'span-event';
  if (value === 'logs' || value === 'logs/dup') return value;
  warn(`${EXCEPTION_SIGNAL_VARIABLE}=${JSON.stringify(value)} is invalid; expected logs or logs/dup; recording exceptions as span events`);
  return 'span-event';
}

/** What `signal` records, given whether the Logs API exists (`warn` tells when it does not and logs were asked for). */
export function exceptionRecording(signal: ExceptionSignal, warn: (message: string) => void): ExceptionRecording {
  if (signal === 'span-event') return { spanEvent: true, logger: undefined };
  const logs = logsApi();
  if (logs === undefined) {
    warn(`exceptionSignal ${signal} needs the Logs API of @opentelemetry/api 1.10 or later; recording exceptions as span events`);
    return { spanEvent: true, logger: undefined };
  }
  // The API's proxy logger reaches the provider registered at the time a record is emitted.
  return { spanEvent: signal === 'logs/dup', logger: logs.getLogger(INSTRUMENTATION_NAME, VERSION) };
}

/** Whether `value` is one of the exception signals (for the option's check). */
export function isExceptionSignal(value: unknown): value is ExceptionSignal {
  return (SIGNALS as readonly unknown[]).includes(value);
}
