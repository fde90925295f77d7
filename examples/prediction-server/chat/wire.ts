/**
 * The OpenAI Chat Completions wire format, as far as the example serves it: the request checks (each failure
 * an OpenAI-shaped 400 naming the parameter) and the answer objects, whole or as stream chunks.
 */

/** OpenAI's error answer: `{"error": {"message", "type", "param", "code"}}` with its HTTP status. */
export interface OpenAiError {
  readonly status: number;
  readonly body: {
    readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
  };
}

export function openAiError(status: number, message: string, param: string | null = null, code: string | null = null): OpenAiError {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

/** A checked chat completion request. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `usage` before `[DONE]`. */
  readonly includeUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`. */
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

type Json = Record<string, unknown>;

/** Checks a request body (raw bytes) against what the model serves: the request, or the 400 to answer. */
export function parseChatRequest(body: unknown, models: ReadonlySet<string>): ChatRequest | OpenAiError {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    return openAiError(400, 'The request body is empty; send a chat completion request as JSON.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return openAiError(400, `We could not parse the JSON body of your request: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) return openAiError(400, 'The request body must be a JSON object.');
  const failure = checkModel(parsed.model, models) ?? checkOptions(parsed);
  if (failure !== undefined) return failure;
  const messages = readMessages(parsed.messages);
  if ('status' in messages) return messages;
  const stream = parsed.stream === true;
  return {
    model: parsed.model as string,
    messages,
    stream,
    includeUsage: stream && isObject(parsed.stream_options) && parsed.stream_options.include_usage === true,
    maxTokens: (parsed.max_completion_tokens ?? parsed.max_tokens ?? undefined) as number | undefined,
    temperature: (parsed.temperature ?? undefined) as number | undefined,
  };
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkModel(model: unknown, models: ReadonlySet<string>): OpenAiError | undefined {
  if (model === undefined || model === null) return openAiError(400, 'You must provide a model parameter.', 'model');
  if (typeof model !== 'string') return openAiError(400, "Invalid type for 'model': expected a string.", 'model', 'invalid_type');
  if (!models.has(model)) {
    return openAiError(400, `The model \`${model}\` does not exist; GET /v1/models lists the models served.`, 'model', 'model_not_found');
  }
  return undefined;
}

/** The optional parameters: limits, temperature, streaming switches, and the one choice served. */
function checkOptions(request: Json): OpenAiError | undefined {
  for (const param of ['max_tokens', 'max_completion_tokens']) {
    const value = request[param];
    if (value === undefined || value === null) continue;
    if (!Number.isSafeInteger(value)) return openAiError(400, `Invalid type for '${param}': expected an integer.`, param, 'invalid_type');
    if ((value as number) < 1) {
      return openAiError(400, `Invalid '${param}': ${value as number} is below the minimum of 1.`, param, 'integer_below_min_value');
    }
  }
  const { temperature, stream, stream_options: streamOptions, n } = request;
  if (temperature !== undefined && temperature !== null && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)) {
    return openAiError(400, "Invalid 'temperature': expected a number from 0 to 2.", 'temperature');
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return openAiError(400, "Invalid type for 'stream': expected a boolean.", 'stream', 'invalid_type');
  }
  if (streamOptions !== undefined && streamOptions !== null && stream !== true) {
    return openAiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  if (n !== undefined && n !== null && n !== 1) return openAiError(400, "Invalid 'n': this server makes one choice (n=1).", 'n');
  return undefined;
}

/** The messages with their text, or the 400 naming the first bad one. */
function readMessages(messages: unknown): ChatRequest['messages'] | OpenAiError {
  if (messages === undefined || messages === null) return openAiError(400, "Missing required parameter: 'messages'.", 'messages');
  if (!Array.isArray(messages)) return openAiError(400, "Invalid type for 'messages': expected an array.", 'messages', 'invalid_type');
  if (messages.length === 0) {
    return openAiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  }
  const read: { role: string; content: string }[] = [];
  for (const [index, message] of messages.entries()) {
    const param = `messages[${index}]`;
    if (!isObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      return openAiError(400, `Invalid '${param}.role': expected one of ${[...ROLES].join(', ')}.`, `${param}.role`);
    }
    const content = messageText(message.content);
    if (content === undefined) {
      return openAiError(400, `Invalid '${param}.content': expected a string or an array of text parts.`, `${param}.content`);
    }
    read.push({ role: message.role, content });
  }
  return read;
}

/** A message's text: a string, or the text parts (`{"type": "text", "text": ...}`) joined. */
function messageText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : undefined));
  return texts.every((text) => text !== undefined) ? texts.join('') : undefined;
}

/** What every answer object of one completion shares. */
export interface CompletionIdentity {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** The fields every answer object starts with, in OpenAI's order. */
function head(identity: CompletionIdentity, object: string): object {
  return { id: identity.id, object, created: identity.created, model: identity.model };
}

/** The whole answer: a `chat.completion` object. */
export function completion(identity: CompletionIdentity, content: string, finishReason: string, totals: Usage): object {
  return {
    ...head(identity, 'chat.completion'),
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage: totals,
  };
}

/**
 * One `chat.completion.chunk` as a server-sent event. With `include_usage`, every chunk but the usage one
 * carries `"usage": null`, as OpenAI's do.
 */
export function chunkEvent(
  identity: CompletionIdentity,
  delta: object,
  finishReason: string | null,
  includeUsage: boolean,
): string {
  const chunk = {
    ...head(identity, 'chat.completion.chunk'),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The usage chunk `stream_options.include_usage` asks for: no choices, the totals. */
export function usageEvent(identity: CompletionIdentity, totals: Usage): string {
  return `data: ${JSON.stringify({ ...head(identity, 'chat.completion.chunk'), choices: [], usage: totals })}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
