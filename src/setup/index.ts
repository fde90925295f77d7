/**
 * `setupOtel()`: the OpenTelemetry SDK configured from the standard `OTEL_*` variables, as DataRobot DRUM
 * configures it. It needs Node.js 22.15 or later and the OpenTelemetry JS 3.x SDK packages, which the
 * application installs (`npm install @opentelemetry/sdk-node @opentelemetry/instrumentation-http
 * @opentelemetry/instrumentation-undici`: sdk-node brings the rest); importing this entry on an
 * older Node.js, without them, or beside 2.x SDK packages throws an Error naming what it found and needs.
 *
 * @packageDocumentation
 * @module drum-otel/setup
 */
// The SDK packages are checked before any of them is loaded.
import './dependencies';

export { setupOtel } from './setup-otel';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel, OtelDisabledBy, PropagatorName } from './types';
