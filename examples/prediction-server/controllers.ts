import 'reflect-metadata';
import type { Request, Response } from 'express';
import { Controller, Get, JsonController, Post, Req, Res } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import { DRUM_LANGUAGE_OTHER, DRUM_PROTOCOL_VERSION } from './drum-protocol';
import type { IrisModel } from './model';
import { rowAnswers } from './row-answers';
import { PredictorTimes, serverStats } from './stats';

/** What the controllers serve, shared by one app's controllers. */
export interface ControllerDependencies {
  readonly model: IrisModel;
  readonly maxBodyBytes: number;
  /** drum-otel's version, which `/info/` reports as `drumOtelVersion` (`drumVersion` is the DRUM protocol's). */
  readonly version: string;
  /** Whether the app serves DRUM's chat routes; `/capabilities/` reports it. Default: `false`. */
  readonly chat?: boolean;
}

/**
 * Defines the controller classes of one app. Classes per app, not per module: instrumentControllers() changes
 * a class for good, so an untraced app and a traced one (a benchmark builds both) must not share classes.
 */
export function defineControllers(dependencies: ControllerDependencies): Function[] {
  const { model, maxBodyBytes, version, chat = false } = dependencies;
  const times = new PredictorTimes();
  const answers = rowAnswers(model, { features: model.features, maxBodyBytes }, times);

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
        language: DRUM_LANGUAGE_OTHER,
        drumVersion: DRUM_PROTOCOL_VERSION,
        drumServer: 'express',
        drumOtelVersion: version,
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

    /**
     * DRUM lists each payload format it reads with the version of the library reading it (`null`: not
     * pinned). Of DRUM's formats (csv, mtx, arrow) this server reads CSV; JSON rows are its own addition.
     */
    @Get('/capabilities/')
    capabilities() {
      return { supported_payload_formats: { csv: null }, supported_methods: { chat } };
    }
  }

  // An action that answers through the response itself returns it: routing-controllers then leaves it alone.
  @Controller()
  class PredictionController {
    // DRUM serves one handler on three routes; each route's span carries its own http.route.
    @Post('/predict/')
    @Post('/predictions/')
    @Post('/invocations')
    @Traced('drum.invocations')
    async predict(@Req() request: Request, @Res() response: Response) {
      await answers.predictions(request, response);
      return response;
    }

    @Post('/transform/')
    @Traced('drum.transform')
    async transform(@Req() request: Request, @Res() response: Response) {
      await answers.transformations(request, response);
      return response;
    }

    @Post('/predictUnstructured/')
    @Post('/predictionsUnstructured/')
    @Traced('drum.predictUnstructured')
    async predictUnstructured(@Req() request: Request, @Res() response: Response) {
      await answers.labels(request, response);
      return response;
    }
  }

  return [HealthController, PredictionController];
}
