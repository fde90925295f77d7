export { GenAiTelemetry } from './telemetry';
export { GenAiMetrics } from './metrics';
export { EVENT_DRUM_FIRST_TOKEN } from './turn';
export type { GenAiTurn } from './turn';
export type {
  GenAiMessage,
  GenAiRequest,
  GenAiResponse,
  GenAiUsage,
  GenAiOutcome,
  GenAiTelemetryOptions,
  GenAiMetricsOptions,
  GenAiMeasurement,
} from './types';
