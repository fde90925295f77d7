import type * as incubating from '@opentelemetry/semantic-conventions/incubating';

// The GenAI conventions' names drum-otel records. They are unstable, so they live only in the package's
// `incubating` entry, whose 1.4 MB of constants take ~40 ms to load: too much to add to every server's
// start-up for a few names. Each is written here and checked at compile time against that entry's constant
// (`satisfies`), so a rename in the conventions fails the build instead of drifting.

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' satisfies typeof incubating.ATTR_GEN_AI_OPERATION_NAME;
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' satisfies typeof incubating.ATTR_GEN_AI_PROVIDER_NAME;
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model' satisfies typeof incubating.ATTR_GEN_AI_REQUEST_MODEL;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens' satisfies typeof incubating.ATTR_GEN_AI_REQUEST_MAX_TOKENS;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature' satisfies typeof incubating.ATTR_GEN_AI_REQUEST_TEMPERATURE;
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id' satisfies typeof incubating.ATTR_GEN_AI_RESPONSE_ID;
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' satisfies typeof incubating.ATTR_GEN_AI_RESPONSE_MODEL;
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS =
  'gen_ai.response.finish_reasons' satisfies typeof incubating.ATTR_GEN_AI_RESPONSE_FINISH_REASONS;
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' satisfies typeof incubating.ATTR_GEN_AI_USAGE_INPUT_TOKENS;
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' satisfies typeof incubating.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS;
export const ATTR_GEN_AI_PROMPT = 'gen_ai.prompt' satisfies typeof incubating.ATTR_GEN_AI_PROMPT;
export const ATTR_GEN_AI_COMPLETION = 'gen_ai.completion' satisfies typeof incubating.ATTR_GEN_AI_COMPLETION;
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' satisfies typeof incubating.ATTR_GEN_AI_INPUT_MESSAGES;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' satisfies typeof incubating.ATTR_GEN_AI_OUTPUT_MESSAGES;
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' satisfies typeof incubating.ATTR_GEN_AI_TOKEN_TYPE;

export const GEN_AI_OPERATION_NAME_VALUE_CHAT = 'chat' satisfies typeof incubating.GEN_AI_OPERATION_NAME_VALUE_CHAT;
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input' satisfies typeof incubating.GEN_AI_TOKEN_TYPE_VALUE_INPUT;
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output' satisfies typeof incubating.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT;

export const METRIC_GEN_AI_SERVER_REQUEST_DURATION =
  'gen_ai.server.request.duration' satisfies typeof incubating.METRIC_GEN_AI_SERVER_REQUEST_DURATION;
export const METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN =
  'gen_ai.server.time_to_first_token' satisfies typeof incubating.METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN;
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage' satisfies typeof incubating.METRIC_GEN_AI_CLIENT_TOKEN_USAGE;
