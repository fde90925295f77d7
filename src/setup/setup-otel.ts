import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { installLogger, reportExportError } from './diag';
import { disabledHandle, enabledHandle } from './handle';
import { planSetup, type SetupPlan } from './plan';
import { createPropagator } from './propagator';
import { createResource } from './resource';
import { createProcessors } from './traces';
import type { OtelHandle, SetupOtelOptions } from './types';

let current: OtelHandle | undefined;

/**
 * Sets up the OpenTelemetry SDK for a DRUM-style model server, the TypeScript counterpart of DRUM's
 * `setup_otel`: a `NodeTracerProvider` registered globally with an `AsyncLocalStorageContextManager` and a
 * propagator for W3C trace context, W3C baggage and B3 (single and multi header), exporting as the standard
 * environment variables say, with explicit options overriding them:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `OTEL_SDK_DISABLED` | `true`: register nothing, return a disabled handle | `false` |
 * | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | the resource | `service.name` `drum` |
 * | `OTEL_TRACES_EXPORTER` | `otlp`, `console` (comma-separated), or `none` | `otlp` when an endpoint is set, else none |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `v1/traces` is appended | `http://localhost:4318` |
 * | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL, used as it is | |
 * | `OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS` | `name=value,...`, percent-encoded | |
 * | `OTEL_EXPORTER_OTLP_PROTOCOL`, `..._TRACES_PROTOCOL` | `http/protobuf` or `http/json` | `http/protobuf` |
 * | `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | batch processor tuning | the SDK's |
 * | `OTEL_LOG_LEVEL` | level of the console `diag` logger installed (export failures are logged there) | `warn` |
 *
 * With no exporter variable and no endpoint, tracing stays configured (spans are created and propagated)
 * but nothing is exported, as DRUM does. Calling `setupOtel` again returns the same handle, until its
 * `shutdown()` has run. Instrumentation that obtained its tracer from the global provider before a
 * `shutdown()` keeps using the provider that was shut down.
 *
 * @param options - See {@link SetupOtelOptions}.
 * @returns The handle whose `shutdown()` a server calls on SIGTERM/SIGINT, after closing its listener.
 * @throws Error naming the variable (or option) and its value when the configuration is invalid: an unknown
 *   exporter or protocol, a malformed endpoint URL, header list or number. Nothing is registered then. Also
 *   when another tracer provider is already registered globally.
 * @category Setup
 * @example
 * ```ts
 * import 'reflect-metadata';
 * import { createExpressServer, JsonController, Post } from 'routing-controllers';
 * import { instrumentControllers, setupOtel, Traced } from 'drum-otel';
 *
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 sends spans to a collector (http/protobuf).
 * const otel = setupOtel({ serviceName: 'iris-classifier' });
 *
 * @JsonController()
 * class PredictionController {
 *   @Post('/predict/')
 *   @Traced('drum.invocations')
 *   predict() {
 *     return { predictions: [] };
 *   }
 * }
 *
 * const server = createExpressServer({ controllers: instrumentControllers([PredictionController]) }).listen(8080);
 * for (const signal of ['SIGTERM', 'SIGINT'] as const) {
 *   process.once(signal, () => server.close(() => void otel.shutdown().then(() => process.exit(0))));
 * }
 * ```
 */
export function setupOtel(options: SetupOtelOptions = {}): OtelHandle {
  if (current !== undefined) return current;
  const plan = planSetup(process.env, options);
  current = plan.enabled ? register(plan) : disabledHandle(release);
  return current;
}

function register(plan: Extract<SetupPlan, { enabled: true }>): OtelHandle {
  const provider = new NodeTracerProvider({
    resource: createResource(plan.serviceName, plan.resourceAttributes),
    spanProcessors: createProcessors(plan),
  });
  // The provider first: when another SDK owns the globals, fail before touching the rest.
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown();
    throw new Error('setupOtel: a tracer provider is already registered globally; setupOtel was not applied');
  }
  propagation.setGlobalPropagator(createPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  installLogger(plan.logLevel);
  setGlobalErrorHandler(reportExportError);
  return enabledHandle(provider, plan.shutdownTimeoutMillis, release);
}

/** Unregisters what `handle` registered, so that a later setupOtel call sets up anew. */
function release(handle: OtelHandle): void {
  if (current !== handle) return;
  current = undefined;
  if (!handle.enabled) return;
  setGlobalErrorHandler(loggingErrorHandler());
  trace.disable();
  propagation.disable();
  context.disable();
}
