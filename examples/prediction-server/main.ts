/**
 * The DRUM-compatible prediction server on Express: `npm start`. See server-main.ts for its settings and
 * lifecycle, shared with the Koa server (main-koa.ts).
 */
import 'reflect-metadata';
import { createPredictionApp } from './app';
import { runPredictionServer } from './server-main';

runPredictionServer({ createListener: createPredictionApp });
