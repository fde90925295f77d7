/**
 * A gateway in front of the prediction server: `POST /predict/` forwards the body with `fetch`, inside a CLIENT
 * span whose context travels in the request headers, so that one request yields one trace across both
 * processes. Settings: PORT (default 8081), PREDICTION_URL (the prediction server's base URL, required),
 * ENABLE_OTEL, and OpenTelemetry's standard variables (service name `drum-gateway` unless OTEL_SERVICE_NAME).
 */
import 'reflect-metadata';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import express, { type Express, type Request, type Response } from 'express';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Controller, Get, JsonController, Post, Req, Res, UseBefore, useExpressServer } from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from 'drum-otel';
import { readPort, readTracingSwitch } from '../prediction-server/config';
import { boundPort, failStart, startOtel, stopOnSignals } from '../prediction-server/lifecycle';
import { log } from '../prediction-server/log';

const NAME = 'gateway';
const tracer = trace.getTracer('drum-gateway');

/** Calls `url` inside a CLIENT span, with the span's context injected into the request headers. */
async function tracedFetch(url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer }) {
  return tracer.startActiveSpan(
    init.method,
    {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: init.method, [ATTR_URL_FULL]: url.href, [ATTR_SERVER_ADDRESS]: url.hostname },
    },
    async (span) => {
      const headers = { ...init.headers };
      propagation.inject(context.active(), headers);
      try {
        const response = await fetch(url, { ...init, headers });
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

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
      const upstream = await tracedFetch(new URL('predict/', predictionUrl), {
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
