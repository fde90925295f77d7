import { trace } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { csvColumn, jsonObjectRows } from './answer-text';
import type { FeatureRows } from './feature-rows';
import { readRows, type InputLimits } from './input';
import { argmax, type IrisModel } from './model';
import { scoreRows, type RowScorer } from './scoring';
import { sendText } from './send-text';
import type { PredictorTimes } from './stats';

/** Set on each prediction span: how many rows the request carried. */
export const ATTR_DRUM_PREDICTION_ROWS = 'drum.prediction.rows';

const JSON_TYPE = 'application/json; charset=utf-8';
const CSV_TYPE = 'text/csv; charset=utf-8';

/** Answers one request's rows; resolves once the answer is sent. */
export type RowAnswer = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** How a route answers: `width` numbers per row from `score`, sent as the text `write` makes of them. */
interface AnswerPlan {
  readonly width: number;
  readonly score: RowScorer;
  readonly write: (scores: FeatureRows) => [contentType: string, pieces: Iterable<string>];
}

/**
 * The answers of DRUM's row routes: class probabilities (`{"predictions": [...]}`), standardized features
 * (`{"transformations": [...]}`) and labels (a `species` CSV). Each reads the rows as the body arrives,
 * scores them and streams the answer, the work spread over event-loop turns so that other requests are
 * served meanwhile; the model's time goes to `times`.
 */
export function rowAnswers(model: IrisModel, limits: InputLimits, times: PredictorTimes) {
  const answer =
    (plan: AnswerPlan): RowAnswer =>
    async (request, response) => {
      const rows = await readRows(request, limits);
      trace.getActiveSpan()?.setAttribute(ATTR_DRUM_PREDICTION_ROWS, rows.count);
      const scores = await times.time(() => scoreRows(rows, plan.width, plan.score));
      await sendText(response, ...plan.write(scores));
    };
  const probabilities = new Float64Array(model.classes.length);
  return {
    predictions: answer({
      width: model.classes.length,
      score: (values, offset, out) => model.probabilitiesInto(values, offset, out),
      write: (scores) => [JSON_TYPE, jsonObjectRows('predictions', scores, model.classes)],
    }),
    transformations: answer({
      width: model.features.length,
      score: (values, offset, out) => model.transformInto(values, offset, out),
      write: (scores) => [JSON_TYPE, jsonObjectRows('transformations', scores, model.features)],
    }),
    labels: answer({
      width: 1,
      // The index of the most probable class; probabilities that overflowed fail the row, as on other routes.
      score: (values, offset, out) => {
        model.probabilitiesInto(values, offset, probabilities);
        out[0] = probabilities.every(Number.isFinite) ? argmax(probabilities) : NaN;
      },
      write: (labels) => [CSV_TYPE, csvColumn('species', labels.count, (index) => model.classes[labels.blockOf(index)[labels.offsetOf(index)]])],
    }),
  };
}
