import 'reflect-metadata';
import { trace } from '@opentelemetry/api';
import express, { type Request } from 'express';
import { ContentType, Controller, Get, JsonController, Post, Req, UseBefore } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import { parseRows } from './input';
import type { IrisModel } from './model';
import { PredictorTimes, serverStats } from './stats';

/** What the controllers serve, shared by one app's controllers. */
export interface ControllerDependencies {
  readonly model: IrisModel;
  readonly maxBodyBytes: number;
  /** What `/info/` reports as `drumVersion`. */
  readonly version: string;
}

/** Set on each prediction span: how many rows the request carried. */
export const ATTR_DRUM_PREDICTION_ROWS = 'drum.prediction.rows';

/**
 * Defines the controller classes of one app. Classes per app, not per module: instrumentControllers() changes
 * a class for good, so an untraced app and a traced one (a benchmark builds both) must not share classes.
 */
export function defineControllers(dependencies: ControllerDependencies): Function[] {
  const { model, maxBodyBytes, version } = dependencies;
  const times = new PredictorTimes();
  // Every body as bytes, whatever its type: the actions decide what is acceptable and say why not.
  const readBody = express.raw({ type: () => true, limit: maxBodyBytes });

  const rowsOf = (request: Request): number[][] => {
    const rows = parseRows(request.body, request.headers['content-type'], model.features);
    trace.getActiveSpan()?.setAttribute(ATTR_DRUM_PREDICTION_ROWS, rows.length);
    return rows;
  };
  const invocations = (request: Request) => ({ predictions: times.time(() => model.predict(rowsOf(request))) });
  const unstructured = (request: Request) =>
    ['species', ...times.time(() => model.labels(rowsOf(request)))].join('\n') + '\n';

  /** DRUM's liveness, readiness and metadata routes: probes must not flood the traces. */
  @NoTrace()
  @JsonController()
  class HealthController {
    @Get('/')
    root() {
      return { message: 'OK' };
    }

    // Express matches '/ping' too: routes are not strict about the trailing slash.
    @Get('/ping/')
    ping() {
      return { message: 'OK' };
    }

    @Get('/health/')
    health() {
      return { message: 'OK' };
    }

    @Get('/info/')
    info() {
      return {
        targetType: 'multiclass',
        codeDir: 'examples/prediction-server',
        classLabels: model.classes,
        language: 'typescript',
        drumVersion: version,
        drumServer: 'express',
        modelMetadata: {
          name: 'iris-logistic-regression',
          features: model.features,
          trainingRows: model.weights.training.rows,
          trainingAccuracy: model.weights.training.accuracy,
        },
      };
    }

    @Get('/stats/')
    stats() {
      return serverStats(times);
    }

    @Get('/capabilities/')
    capabilities() {
      return {
        supported_payload_formats: { csv: true, json: true, mtx: false, arrow: false },
        supported_methods: { chat: false },
      };
    }
  }

  @Controller()
  @UseBefore(readBody)
  class PredictionController {
    // DRUM serves one handler on three routes; each route's span carries its own http.route.
    @Post('/predict/')
    @Post('/predictions/')
    @Post('/invocations')
    @Traced('drum.invocations')
    predict(@Req() request: Request) {
      return invocations(request);
    }

    @Post('/transform/')
    @Traced('drum.transform')
    transform(@Req() request: Request) {
      const rows = rowsOf(request);
      const transformations = rows.map((row) =>
        Object.fromEntries(model.transform(row).map((value, j) => [model.features[j], value])),
      );
      return { transformations };
    }

    @Post('/predictUnstructured/')
    @Post('/predictionsUnstructured/')
    @Traced('drum.predictUnstructured')
    @ContentType('text/csv')
    predictUnstructured(@Req() request: Request) {
      return unstructured(request);
    }
  }

  return [HealthController, PredictionController];
}
