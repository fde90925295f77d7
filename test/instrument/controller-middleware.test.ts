import 'reflect-metadata';
import test from 'ava';
import { execFile } from 'node:child_process';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BaseDriver, createServer, Get, JsonController, type Action } from 'routing-controllers';
import type { ActionMetadata } from 'routing-controllers/types/metadata/ActionMetadata';
import { instrumentControllers } from '../../src';
import { listen } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';

const run = promisify(execFile);
const { exporter } = registerTracing();
const diagRecords = captureDiag();
const warnings: (Error & { code?: string })[] = [];
process.on('warning', (warning) => warnings.push(warning));

for (const [driver, name, loaded] of [
  ['express', 'An Express', { 'instrument/express': true, 'instrument/koa': false, express: true, koa: false }],
  ['koa', 'A Koa', { 'instrument/express': false, 'instrument/koa': true, express: false, koa: true }],
] as const) {
  test(`${name} app loads only its own driver module of drum-otel, and no other framework`, async (t) => {
    const fixture = join(__dirname, '..', 'fixtures', 'driver-modules.js');
    const { stdout } = await run(process.execPath, [fixture, driver]);
    t.deepEqual(JSON.parse(stdout), { status: 200, modules: loaded });
  });
}

/** The exchange of a framework drum-otel does not know, as its driver hands it to middlewares. */
class MiniExchange {
  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
  ) {}
}

class MiniReply {}

/** A routing-controllers driver of its own: it calls each middleware with (exchange, reply), then the action. */
class MiniDriver extends BaseDriver {
  private readonly routes = new Map<string, (request: IncomingMessage, response: ServerResponse) => void>();

  constructor() {
    super();
    const listener: RequestListener = (request, response) => this.routes.get(`${request.method} ${request.url}`)!(request, response);
    this.app = listener;
  }

  initialize(): void {}
  registerMiddleware(): void {}
  registerRoutes(): void {}

  registerAction(action: ActionMetadata, executeCallback: (options: Action) => unknown): void {
    const middlewares = action.controllerMetadata.uses.filter((use) => !use.afterAction).map((use) => use.middleware as Function);
    this.routes.set(`${action.type.toUpperCase()} ${action.fullRoute as string}`, (request, response) => {
      for (const middleware of middlewares) middleware(new MiniExchange(request, response), new MiniReply());
      void executeCallback({ request, response });
    });
  }

  getParamFromRequest(): undefined {
    return undefined;
  }

  handleSuccess(result: unknown, _action: ActionMetadata, options: Action): void {
    (options.response as ServerResponse).end(JSON.stringify(result));
  }

  handleError(_error: unknown, _action: ActionMetadata, options: Action): void {
    (options.response as ServerResponse).writeHead(500).end();
  }
}

test.serial('a driver drum-otel does not know: requests answered untraced, one warning naming what it passed', async (t) => {
  @JsonController()
  class MiniController {
    @Get('/mini')
    mini() {
      return { mini: true };
    }
  }
  const server = await listen(createServer(new MiniDriver(), { controllers: instrumentControllers([MiniController]) }) as RequestListener);
  try {
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${server.url}/mini`);
      t.is(response.status, 200);
      t.is(await response.text(), '{"mini":true}');
    }
  } finally {
    await server.close();
  }
  t.deepEqual(await finishedSpans(exporter, 1, 500), []);
  const message =
    'drum-otel: MiniController is served by a routing-controllers driver drum-otel does not know (its middlewares are called ' +
    'with a MiniExchange and a MiniReply), so its requests get no span. drum-otel traces the Express driver ' +
    '(createExpressServer, useExpressServer) and the Koa driver (createKoaServer, useKoaServer).';
  t.deepEqual(diagRecords.map((record) => [record.level, record.message]), [['warn', message]]);
  t.deepEqual(warnings.map((warning) => [warning.code, warning.message]), [['DRUM_OTEL_UNKNOWN_DRIVER', message]]);
});
