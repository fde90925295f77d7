export { Traced, NoTrace } from './decorators';
export type { ClassOrMethodDecorator } from './decorators';
export { instrumentControllers } from './instrument';
export {
  extractRequestHeaders,
  isCredentialHeader,
  ATTR_GEN_AI_REQUEST_CONSUMER_ID,
  ATTR_GEN_AI_REQUEST_CONSUMER_TYPE,
  REDACTED,
} from './headers';
export { ATTR_DRUM_REQUEST_ABORTED } from './span';
export type {
  TracedOptions,
  InstrumentOptions,
  RequestHeaders,
  RequestHook,
  ResponseHook,
  HeaderAttributes,
} from './types';
// setup
export { setupOtel } from './setup/index';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel, OtelDisabledBy, PropagatorName } from './setup/index';
