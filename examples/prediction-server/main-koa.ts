/**
 * The DRUM-compatible prediction server on Koa: `npm run start:koa`. The settings, banner, signals and workers
 * of `npm start` (server-main.ts); the routes and answers of the Express server.
 */
import 'reflect-metadata';
import { createKoaPredictionApp } from './koa-app';
import { runPredictionServer } from './server-main';

runPredictionServer({ label: 'koa', createListener: (options) => createKoaPredictionApp(options).callback() });
