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
  HookInfo,
  ActionInfo,
} from './types';
// setup (issue 4)
export { setupOtel } from './setup';
export type { SetupOtelOptions, OtelHandle, OtelLogLevel } from './setup';
