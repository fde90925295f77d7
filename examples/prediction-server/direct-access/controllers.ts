import 'reflect-metadata';
import { Controller, Get, Post, Put } from 'routing-controllers';
import { Traced } from 'drum-otel';
import { Http, type NodeHttp } from '../node-http';
import { DirectAccessProxy, type DirectAccessOptions } from './proxy';

/** Options of {@link defineDirectAccessControllers}. */
export interface DirectAccessControllerOptions extends DirectAccessOptions {
  /**
   * How the driver's router writes "any path" after `/directAccess/`: `*` for Express (path-to-regexp 0.1),
   * `(.*)` for Koa (@koa/router's path-to-regexp 6 refuses a bare `*`). Default: `*`.
   */
  readonly anyPath?: string;
}

/**
 * Defines DRUM's direct-access routes for one app: `GET|POST|PUT /directAccess/*` and `/nim/*`, span
 * `drum.directAccess` (with the consumer attributes drum-otel records on every span), each request forwarded
 * to the backend DIRECT_ACCESS_URL names. The body is not parsed: it is streamed on as it arrives.
 */
export function defineDirectAccessControllers(options: DirectAccessControllerOptions): Function[] {
  const proxy = new DirectAccessProxy(options);
  const { anyPath = '*' } = options;

  @Controller()
  class DirectAccessController {
    @Get(`/directAccess/${anyPath}`)
    @Post(`/directAccess/${anyPath}`)
    @Put(`/directAccess/${anyPath}`)
    @Get(`/nim/${anyPath}`)
    @Post(`/nim/${anyPath}`)
    @Put(`/nim/${anyPath}`)
    @Traced('drum.directAccess')
    async forward(@Http() http: NodeHttp) {
      await proxy.forward(http.request, http.response);
      return http.answered;
    }
  }

  return [DirectAccessController];
}
