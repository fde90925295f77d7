export { setupOtel } from './setup-otel';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel, OtelDisabledBy, PropagatorName } from './types';
