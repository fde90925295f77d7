import 'reflect-metadata';
import { Controller, Get, JsonController, Post } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import { DRUM_LANGUAGE_OTHER, DRUM_PROTOCOL_VERSION } from './drum-protocol';
import type { IrisModel } from './model';
import { Http, type NodeHttp } from './node-http';
import { rowAnswers } from './row-answers';
import { PredictorTimes, serverStats } from './stats';

/** The framework serving the routes (routing-controllers' driver), which `/info/` reports as `drumServer`. */
export type DrumServer = 'express' | 'koa';

/** What the controllers serve, shared by one app's controllers. */
export interface ControllerDependencies {
  readonly model: IrisModel;
  readonly maxBodyBytes: number;
  /** drum-otel's version, which `/info/` reports as `drumOtelVersion` (`drumVersion` is the DRUM protocol's). */
  readonly version: string;
  /** Whether the app serves DRUM's chat routes; `/capabilities/` reports it. Default: `false`. */
  readonly chat?: boolean;
  /** Default: `express`. */
  readonly server?: DrumServer;
}

/**
 * Defines the controller classes of one app. Classes per app, not per module: instrumentControllers() changes
 * a class for good, so an untraced app and a traced one (a benchmark builds both) must not share classes.
 */
export function defineControllers(dependencies: ControllerDependencies): Function[] {
  const { model, maxBodyBytes, version, chat = false, server = 'express' } = dependencies;
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

    // '/ping' matches too: Express's routes are not strict about the trailing slash, and Koa's driver drops it.
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
        drumServer: server,
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

  // An action that answers through Node's response itself returns `answered`: routing-controllers then leaves
  // the response alone.
  @Controller()
  class PredictionController {
    // DRUM serves one handler on three routes; each route's span carries its own http.route.
    @Post('/predict/')
    @Post('/predictions/')
    @Post('/invocations')
    @Traced('drum.invocations')
    async predict(@Http() http: NodeHttp) {
      await answers.predictions(http.request, http.response);
      return http.answered;
    }

    @Post('/transform/')
    @Traced('drum.transform')
    async transform(@Http() http: NodeHttp) {
      await answers.transformations(http.request, http.response);
      return http.answered;
    }

    @Post('/predictUnstructured/')
    @Post('/predictionsUnstructured/')
    @Traced('drum.predictUnstructured')
    async predictUnstructured(@Http() http: NodeHttp) {
      await answers.labels(http.request, http.response);
      return http.answered;
    }
  }

  return [HealthController, PredictionController];
}
