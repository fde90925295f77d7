export { setupOtel } from './setup-otel';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel } from './types';
