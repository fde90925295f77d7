import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import type { Action, ActionMetadata } from 'routing-controllers';
import { isPromiseLike } from './contain';
import type { ActionArgs, MethodOverride } from './internal-types';
import { instrumentationOf } from './mark';
import { requestTraceOf, type RequestTrace } from './request-trace';
import { suppressTracing } from './sdk-context';

/** The context of a @NoTrace() action called outside any other context (no HTTP instrumentation): made once. */
const SUPPRESSED_ROOT = suppressTracing(ROOT_CONTEXT);

// routing-controllers calls an action after its middlewares and body parser, whose stream callbacks do not
// carry the request's context. The override re-enters it, records what the action throws, notices a client
// that left while a synchronous action held the event loop, and suppresses tracing for @NoTrace() actions.

// Symbol.for: two copies of the library must not wrap one action twice.
const OVERRIDDEN = Symbol.for('drum-otel.method-override');

/**
 * A synchronous call at least this long held the event loop while its client may have given up: Node only
 * reads a closed connection when the loop polls again, by which time the response would have been written.
 */
const BLOCKING_CALL_MS = 10;

let actionCallDepth = 0;

/** Whether routing-controllers is calling an action through drum-otel's override right now. */
export function insideActionCall(): boolean {
  return actionCallDepth > 0;
}

export function overrideActionCall(args: ActionArgs): void {
  if ((args as { [OVERRIDDEN]?: true })[OVERRIDDEN]) return;
  const call: MethodOverride = args.methodOverride ?? ((action, request, params) => action.callMethod(params, request));
  args.methodOverride = function drumOtelAction(actionMetadata, action, params) {
    const requestTrace = requestTraceOf(nodeResponse(action));
    if (requestTrace === undefined) return callUntraced(call, actionMetadata, action, params);
    // Without a body parser between them, the middleware's context is still the active one.
    if (context.active() === requestTrace.context) return callTraced(call, requestTrace, actionMetadata, action, params);
    return context.with(requestTrace.context, callTraced, undefined, call, requestTrace, actionMetadata, action, params);
  };
  Object.defineProperty(args, OVERRIDDEN, { value: true });
}

/** Node's response: Express's `response` is one; Koa's action carries its own response object, and the context. */
function nodeResponse(action: Action): ServerResponse | undefined {
  return (action.context as { res?: ServerResponse } | undefined)?.res ?? action.response;
}

function callUntraced(call: MethodOverride, actionMetadata: ActionMetadata, action: Action, params: unknown[]): unknown {
  const plan = instrumentationOf(actionMetadata.target)?.plans.get(actionMetadata.method);
  if (plan === undefined || plan.traced) return callAction(call, actionMetadata, action, params);
  // A @NoTrace() action records nothing below it either.
  const active = context.active();
  const quiet = active === ROOT_CONTEXT ? SUPPRESSED_ROOT : suppressTracing(active);
  return context.with(quiet, callAction, undefined, call, actionMetadata, action, params);
}

function callTraced(
  call: MethodOverride,
  requestTrace: RequestTrace,
  actionMetadata: ActionMetadata,
  action: Action,
  params: unknown[],
): unknown {
  const started = performance.now();
  let result: unknown;
  try {
    result = callAction(call, actionMetadata, action, params);
  } catch (error) {
    // Rethrown as it is: routing-controllers handles a thrown error otherwise than a rejection.
    requestTrace.recordFailure(error);
    throw error;
  }
  if (performance.now() - started >= BLOCKING_CALL_MS) result = afterNextPoll(requestTrace, action, result);
  if (!isPromiseLike(result)) return result;
  return result.then(undefined, (error: unknown) => {
    requestTrace.recordFailure(error);
    throw error;
  });
}

/**
 * Settles like `result`, once the event loop has polled the connections again: a client that closed its
 * connection while the call held the loop is then seen, before a response is written to it.
 */
function afterNextPoll(requestTrace: RequestTrace, action: Action, result: unknown): Promise<unknown> {
  const handOn = (settle: () => unknown) =>
    // The first immediate runs before the loop polls again, the second after.
    new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))).then(() => {
      if (connectionClosed(action)) requestTrace.clientGone = true;
      return settle();
    });
  // Handlers attached at once: a rejection waiting for the poll is not an unhandled one.
  return Promise.resolve(result).then(
    (value) => handOn(() => value),
    (error: unknown) =>
      handOn(() => {
        throw error;
      }),
  );
}

function connectionClosed(action: Action): boolean {
  const socket = (action.request as { socket?: { destroyed: boolean; readableEnded: boolean } | null }).socket;
  return !socket || socket.destroyed || socket.readableEnded;
}

function callAction(call: MethodOverride, actionMetadata: ActionMetadata, action: Action, params: unknown[]): unknown {
  actionCallDepth++;
  try {
    return call(actionMetadata, action, params);
  } finally {
    actionCallDepth--;
  }
}
