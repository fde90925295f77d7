import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParamDecorator, type Action } from 'routing-controllers';

/** Node's own request and response of an action, whichever driver (Express or Koa) runs it. */
export interface NodeHttp {
  /** The request as Node received it: its headers and its body, unread. */
  readonly request: IncomingMessage;
  /** The response the action writes itself (statuses, headers, streamed bodies). */
  readonly response: ServerResponse;
  /** What the action returns once it has answered: the driver's response object, which it then leaves alone. */
  readonly answered: unknown;
}

/** Koa's context, as routing-controllers' Koa driver passes it: Node's request and response. */
interface KoaContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** The {@link NodeHttp} of an action: Express hands Node's objects themselves, Koa wraps them in its context. */
export function nodeHttpOf(action: Action): NodeHttp {
  const koa = action.context as KoaContext | undefined;
  return {
    request: koa?.req ?? (action.request as IncomingMessage),
    response: koa?.res ?? (action.response as ServerResponse),
    answered: action.response,
  };
}

/**
 * The action parameter holding {@link NodeHttp}: the example's actions read the body as a stream and write
 * the answer themselves, so they work on Node's objects, the same under both drivers (`@Req()`/`@Res()`
 * would be Express's request and response, or Koa's wrappers around them).
 */
export function Http() {
  return createParamDecorator({ value: nodeHttpOf });
}
