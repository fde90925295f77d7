/**
 * `setupOtel()`: the OpenTelemetry SDK configured from the standard `OTEL_*` variables, as DataRobot DRUM
 * configures it. Its SDK packages are optional peer dependencies of drum-otel; importing this entry without
 * them throws an Error naming them and the command that installs them.
 *
 * @packageDocumentation
 * @module drum-otel/setup
 */
// The SDK packages are checked before any of them is loaded.
import './dependencies';

export { setupOtel } from './setup-otel';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel, OtelDisabledBy, PropagatorName } from './types';
