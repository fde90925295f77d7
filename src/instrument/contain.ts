import { diag } from '@opentelemetry/api';

/**
 * Runs a user callback; what it throws, or the rejection of the promise it returns (an `async` hook), is
 * reported through `diag` instead of breaking the request or the process. `where` names the action.
 */
export function contain<T>(name: string, where: string | undefined, callback: () => T): T | undefined {
  try {
    const result = callback();
    if (isPromiseLike(result)) result.then(undefined, (error: unknown) => reportFailure(name, where, 'rejected', error));
    return result;
  } catch (error) {
    reportFailure(name, where, 'threw', error);
    return undefined;
  }
}

function reportFailure(name: string, where: string | undefined, what: string, error: unknown): void {
  diag.error(`drum-otel: ${name}${where ? ` of ${where}` : ''} ${what}; the request goes on`, error);
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
