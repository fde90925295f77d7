import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_COMPLETION,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROMPT,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
} from './semconv';
import type { GenAiMessage, GenAiRequest, GenAiResponse } from './types';

/**
 * What every GenAI span and measurement carries. Literals of it are written with the names themselves: V8
 * defines each computed (`[ATTR_...]`) key of an object literal through a runtime call until the function is
 * optimized. These properties check the names against the constants: a misspelt one does not compile.
 */
export interface GenAiBaseAttributes extends Attributes {
  [ATTR_GEN_AI_OPERATION_NAME]: string;
  [ATTR_GEN_AI_PROVIDER_NAME]: string;
  [ATTR_GEN_AI_REQUEST_MODEL]: string;
}

/** The attributes a GenAI request's span starts with: operation, provider, and what the client asked for. */
export function genAiRequestAttributes(operationName: string, providerName: string, request: GenAiRequest): Attributes {
  const attributes: GenAiBaseAttributes = {
    'gen_ai.operation.name': operationName,
    'gen_ai.provider.name': providerName,
    'gen_ai.request.model': request.model,
  };
  if (request.maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = request.maxTokens;
  if (request.temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = request.temperature;
  if (request.inputTokens !== undefined) attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = request.inputTokens;
  return attributes;
}

/** `gen_ai.response.id` and `gen_ai.response.model`, those that are given. */
export function genAiResponseAttributes(response: GenAiResponse): Attributes {
  const attributes: Attributes = {};
  if (response.id !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = response.id;
  if (response.model !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
  return attributes;
}

/**
 * The conversation sent, under DRUM's names: `gen_ai.prompt.<i>.role` and `.content` per message,
 * `gen_ai.prompt` the last message's content, and `gen_ai.input.messages` as the conventions' JSON.
 */
export function promptAttributes(messages: readonly GenAiMessage[]): Attributes {
  const attributes = indexedMessageAttributes(ATTR_GEN_AI_PROMPT, messages);
  if (messages.length > 0) attributes[ATTR_GEN_AI_PROMPT] = messages[messages.length - 1].content;
  attributes[ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify(messages.map((message) => conventionMessage(message)));
  return attributes;
}

/**
 * The answer, under DRUM's names: `gen_ai.completion.<i>.role` and `.content` per choice, and
 * `gen_ai.output.messages` as the conventions' JSON with each choice's finish reason.
 */
export function completionAttributes(messages: readonly GenAiMessage[], finishReasons: readonly string[] = []): Attributes {
  const attributes = indexedMessageAttributes(ATTR_GEN_AI_COMPLETION, messages);
  attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify(
    messages.map((message, index) => conventionMessage(message, finishReasons[index])),
  );
  return attributes;
}

function indexedMessageAttributes(prefix: string, messages: readonly GenAiMessage[]): Attributes {
  const attributes: Attributes = {};
  messages.forEach((message, index) => {
    attributes[`${prefix}.${index}.role`] = message.role;
    attributes[`${prefix}.${index}.content`] = message.content;
  });
  return attributes;
}

/** A message in the conventions' JSON schema: a role and text parts (and, for an answer, why it ended). */
function conventionMessage(message: GenAiMessage, finishReason?: string): object {
  const parts = [{ type: 'text', content: message.content }];
  return finishReason === undefined ? { role: message.role, parts } : { role: message.role, parts, finish_reason: finishReason };
}
