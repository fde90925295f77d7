import 'reflect-metadata';
import { trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import { Controller, Get, JsonController, Post, Req, Res } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import { csvColumn, jsonObjectRows } from './answer-text';
import { DRUM_LANGUAGE_OTHER, DRUM_PROTOCOL_VERSION } from './drum-protocol';
import type { FeatureRows } from './feature-rows';
import { readRows } from './input';
import { argmax, type IrisModel } from './model';
import { scoreRows, type RowScorer } from './scoring';
import { sendText } from './send-text';
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

/** Set on each prediction span: how many rows the request carried. */
export const ATTR_DRUM_PREDICTION_ROWS = 'drum.prediction.rows';

const JSON_TYPE = 'application/json; charset=utf-8';
const CSV_TYPE = 'text/csv; charset=utf-8';

/**
 * Defines the controller classes of one app. Classes per app, not per module: instrumentControllers() changes
 * a class for good, so an untraced app and a traced one (a benchmark builds both) must not share classes.
 */
export function defineControllers(dependencies: ControllerDependencies): Function[] {
  const { model, maxBodyBytes, version, chat = false } = dependencies;
  const times = new PredictorTimes();
  const limits = { features: model.features, maxBodyBytes };

  /**
   * Reads the request's rows, scores each into `width` numbers and answers with `text` of the scores, the
   * work spread over event-loop turns so that other requests are served meanwhile.
   */
  const answer = async (
    request: Request,
    response: Response,
    width: number,
    score: RowScorer,
    text: (scores: FeatureRows) => [contentType: string, pieces: Iterable<string>],
  ): Promise<Response> => {
    const rows = await readRows(request, limits);
    trace.getActiveSpan()?.setAttribute(ATTR_DRUM_PREDICTION_ROWS, rows.count);
    const scores = await times.time(() => scoreRows(rows, width, score));
    await sendText(response, ...text(scores));
    // routing-controllers leaves a response its action returns alone.
    return response;
  };
  const classCount = model.classes.length;
  const probabilities: RowScorer = (values, offset, out) => model.probabilitiesInto(values, offset, out);
  const standardized: RowScorer = (values, offset, out) => model.transformInto(values, offset, out);
  const rowProbabilities = new Float64Array(classCount);
  // The index of the most probable class.
  const label: RowScorer = (values, offset, out) => {
    model.probabilitiesInto(values, offset, rowProbabilities);
    // Probabilities that overflowed fail the row here too, not as the first label.
    out[0] = rowProbabilities.every(Number.isFinite) ? argmax(rowProbabilities) : NaN;
  };

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

  @Controller()
  class PredictionController {
    // DRUM serves one handler on three routes; each route's span carries its own http.route.
    @Post('/predict/')
    @Post('/predictions/')
    @Post('/invocations')
    @Traced('drum.invocations')
    predict(@Req() request: Request, @Res() response: Response) {
      return answer(request, response, classCount, probabilities, (scores) => [
        JSON_TYPE,
        jsonObjectRows('predictions', scores, model.classes),
      ]);
    }

    @Post('/transform/')
    @Traced('drum.transform')
    transform(@Req() request: Request, @Res() response: Response) {
      return answer(request, response, model.features.length, standardized, (scores) => [
        JSON_TYPE,
        jsonObjectRows('transformations', scores, model.features),
      ]);
    }

    @Post('/predictUnstructured/')
    @Post('/predictionsUnstructured/')
    @Traced('drum.predictUnstructured')
    predictUnstructured(@Req() request: Request, @Res() response: Response) {
      return answer(request, response, 1, label, (labels) => [
        CSV_TYPE,
        csvColumn('species', labels.count, (index) => model.classes[labels.values[index]]),
      ]);
    }
  }

  return [HealthController, PredictionController];
}
