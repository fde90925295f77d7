import 'reflect-metadata';
import type { Request, Response } from 'express';
import { Controller, Get, Post, Put, Req, Res } from 'routing-controllers';
import { Traced } from 'drum-otel';
import { DirectAccessProxy, type DirectAccessOptions } from './proxy';

/**
 * Defines DRUM's direct-access routes for one app: `GET|POST|PUT /directAccess/*` and `/nim/*`, span
 * `drum.directAccess` (with the consumer attributes drum-otel records on every span), each request forwarded
 * to the backend DIRECT_ACCESS_URL names. The body is not parsed: it is streamed on as it arrives.
 */
export function defineDirectAccessControllers(options: DirectAccessOptions): Function[] {
  const proxy = new DirectAccessProxy(options);

  @Controller()
  class DirectAccessController {
    @Get('/directAccess/*')
    @Post('/directAccess/*')
    @Put('/directAccess/*')
    @Get('/nim/*')
    @Post('/nim/*')
    @Put('/nim/*')
    @Traced('drum.directAccess')
    async forward(@Req() request: Request, @Res() response: Response) {
      await proxy.forward(request, response);
      return response;
    }
  }

  return [DirectAccessController];
}
