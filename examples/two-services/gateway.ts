/**
 * A gateway in front of the prediction server: `POST /predict/` forwards the body with `fetch`, which the
 * instrumentation setupOtel registers wraps in a CLIENT span whose context travels in the request headers, so
 * that one request yields one trace across both processes. Settings: PORT (default 8081), PREDICTION_URL (the prediction server's base URL, required),
 * ENABLE_OTEL, and OpenTelemetry's standard variables (service name `drum-gateway` unless OTEL_SERVICE_NAME).
 */
import 'reflect-metadata';
import express, { type Express, type Request, type Response } from 'express';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Controller, Get, JsonController, Post, Req, Res, UseBefore, useExpressServer } from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from 'drum-otel';
import { readPort, readTracingSwitch } from '../prediction-server/config';
import { boundPort, failStart, startOtel, stopOnSignals } from '../prediction-server/lifecycle';
import { log } from '../prediction-server/log';

const NAME = 'gateway';
/** The gateway app forwarding to `predictionUrl`; `tracing: false` leaves the controllers uninstrumented. */
export function createGatewayApp(predictionUrl: URL, tracing = true): Express {
  @NoTrace()
  @JsonController()
  class GatewayHealthController {
    @Get('/ping/')
    ping() {
      return { message: 'OK' };
    }
  }

  @Controller()
  @UseBefore(express.raw({ type: () => true, limit: '10mb' }))
  class GatewayController {
    @Post('/predict/')
    @Traced('gateway.predict')
    async predict(@Req() request: Request, @Res() response: Response) {
      // setupOtel's instrumentation of fetch makes the CLIENT span and sends its context in the headers.
      const upstream = await fetch(new URL('predict/', predictionUrl), {
        method: 'POST',
        headers: { 'content-type': request.headers['content-type'] ?? 'text/csv' },
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
      });
      response.status(upstream.status).type(upstream.headers.get('content-type') ?? 'application/json');
      response.send(Buffer.from(await upstream.arrayBuffer()));
      return response;
    }
  }

  const controllers = [GatewayHealthController, GatewayController];
  const app = express();
  useExpressServer(app, {
    controllers: tracing ? instrumentControllers(controllers) : controllers,
    classTransformer: false,
    validation: false,
  });
  return app;
}

/** PREDICTION_URL as a base URL ending in `/`, or an Error naming the variable. */
export function readPredictionUrl(env: NodeJS.ProcessEnv): URL {
  const raw = env.PREDICTION_URL?.trim() ?? '';
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return new URL(url.href.replace(/\/*$/, '/'));
  } catch {
    // reported below
  }
  throw new Error(`PREDICTION_URL=${JSON.stringify(raw)} is invalid; expected the prediction server's http:// URL`);
}

async function main(): Promise<void> {
  const predictionUrl = readPredictionUrl(process.env);
  const port = readPort(process.env, 8081);
  const tracing = readTracingSwitch(process.env);
  const otel = startOtel(tracing, process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'drum-gateway' });
  const server = createServer(createGatewayApp(predictionUrl, tracing)).listen(port);
  await once(server, 'listening');
  stopOnSignals(NAME, server, otel);
  log().info(`${NAME} listening on http://localhost:${boundPort(server)}/, forwarding to ${predictionUrl.href}`);
}

if (require.main === module) main().catch((error: unknown) => failStart(NAME, error));
