import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { RoutingControllersOptions } from 'routing-controllers';
import { instrumentControllers } from 'drum-otel';
import { defineChatControllers } from './chat/controllers';
import type { ChatOptions } from './chat/completions';
import { defineControllers, type DrumServer } from './controllers';
import { defineDirectAccessControllers } from './direct-access/controllers';
import type { DirectAccessSettings } from './direct-access/settings';
import { IrisModel, checkWeights } from './model';
import weights from './iris-model.json';

/** Options of the prediction app, on either driver (`createPredictionApp`, `createKoaPredictionApp`). */
export interface PredictionAppOptions {
  /** Whether the controllers get spans (`instrumentControllers`); `false` costs nothing. Default: `true`. */
  readonly tracing?: boolean;
  /** DRUM's URL_PREFIX: the route prefix of every route, e.g. `/drum`. Default: none. */
  readonly urlPrefix?: string;
  /** Larger request bodies get 413. Default: 10 MiB. */
  readonly maxBodyBytes?: number;
  /** Default: the committed Iris model. */
  readonly model?: IrisModel;
  /** The chat routes' token delay and generation reports. */
  readonly chat?: ChatOptions;
  /** The direct-access routes' backend (DIRECT_ACCESS_URL) and timeout. Default: no backend (DRUM's 400). */
  readonly directAccess?: DirectAccessSettings;
}

/** The request body limit of both apps unless `maxBodyBytes` says otherwise: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The committed model, checked once. */
export function loadIrisModel(): IrisModel {
  return new IrisModel(checkWeights(weights));
}

function packageVersion(): string {
  // The package's own manifest, through its exports map: the version `/info/` reports as drumOtelVersion.
  return (JSON.parse(readFileSync(require.resolve('drum-otel/package.json'), 'utf8')) as { version: string }).version;
}

/** How each driver registers the direct-access routes' "any path" (path-to-regexp 0.1 or 6). */
const ANY_PATH: Readonly<Record<DrumServer, string>> = { express: '*', koa: '(.*)' };

/**
 * What `useExpressServer` or `useKoaServer` registers for the prediction app on `server`: every controller
 * (new classes per app), instrumented unless `tracing` is off, and no default error handler: each driver's
 * module answers errors, unknown routes and other methods as DRUM does.
 */
export function predictionRouting(options: PredictionAppOptions, server: DrumServer): RoutingControllersOptions {
  const { tracing = true, urlPrefix = '', maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const model = options.model ?? loadIrisModel();
  const controllers = [
    ...defineControllers({ model, maxBodyBytes, version: packageVersion(), chat: true, server }),
    ...defineChatControllers({ ...options.chat, model, maxBodyBytes }),
    ...defineDirectAccessControllers({
      backend: undefined,
      timeoutMs: 3_600_000,
      ...options.directAccess,
      urlPrefix,
      anyPath: ANY_PATH[server],
    }),
  ];
  return {
    routePrefix: urlPrefix,
    // instrumentControllers must see the same prefix to name the routes as the framework matches them.
    controllers: tracing ? instrumentControllers(controllers, { routePrefix: urlPrefix }) : controllers,
    defaultErrorHandler: false,
    classTransformer: false,
    validation: false,
  };
}
