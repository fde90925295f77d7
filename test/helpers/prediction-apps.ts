import { createPredictionApp } from '../../examples/prediction-server/app';
import type { PredictionAppOptions } from '../../examples/prediction-server/app-routing';
import { createKoaPredictionApp } from '../../examples/prediction-server/koa-app';
import { listen, type RunningServer } from './server';

/** The example prediction app on one of routing-controllers' drivers, started on 127.0.0.1:0. */
export interface PredictionAppDriver {
  readonly name: 'Express' | 'Koa';
  listen(options: PredictionAppOptions): Promise<RunningServer>;
}

/** The example app on Express (`createPredictionApp`) and on Koa (`createKoaPredictionApp`). */
export const PREDICTION_APP_DRIVERS: readonly PredictionAppDriver[] = [
  { name: 'Express', listen: (options) => listen(createPredictionApp(options)) },
  { name: 'Koa', listen: (options) => listen(createKoaPredictionApp(options).callback()) },
];
