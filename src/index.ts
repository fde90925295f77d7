/**
 * The instrumentation: `@Traced()` / `@NoTrace()`, `instrumentControllers()` and the attribute helpers. It
 * brings no OpenTelemetry SDK: spans go to the provider the application registers (or `drum-otel/setup`'s).
 *
 * @packageDocumentation
 * @module drum-otel
 */
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
  ExceptionSignal,
} from './types';
// GenAI: chat routes' gen_ai.* span attributes and server metrics
export * from './genai';
