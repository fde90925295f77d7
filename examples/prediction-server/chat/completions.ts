import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GenAiTelemetry, type GenAiTurn } from 'drum-otel';
import type { IrisModel } from '../model';
import { sendJson } from '../send-json';
import { answer, CHAT_MODELS, type ChatModel } from './assistant';
import { generate, type Generation, type GenerationEnd } from './generation';
import { countPromptTokens, tokenize } from './tokens';
import { chunkEvent, completion, DONE_EVENT, usage, usageEvent, type ChatRequest, type CompletionIdentity } from './wire';

/** What a finished (or abandoned) generation reports: how tests see that a stream stopped producing. */
export interface GenerationReport {
  /** The completion's `id`, as the client saw it in every chunk. */
  readonly id: string;
  readonly model: string;
  /** How many tokens were produced (and, streamed, written). */
  readonly outputTokens: number;
  readonly end: GenerationEnd;
}

/** Options of the chat routes. */
export interface ChatOptions {
  /** CHAT_TOKEN_DELAY_MS: milliseconds before each token. Default 20. */
  readonly tokenDelayMs?: number;
  /** Called once per request when its generation loop has exited. */
  readonly onGeneration?: (report: GenerationReport) => void;
}

export const DEFAULT_TOKEN_DELAY_MS = 20;

/** `gen_ai.provider.name` of the example's spans and metrics. */
export const PROVIDER_NAME = 'datarobot';

/** Answers checked chat requests with the Iris assistant, streamed or whole, recording a GenAI turn for each. */
export class ChatCompletions {
  private readonly models = new Map<string, ChatModel>(CHAT_MODELS.map((chatModel) => [chatModel.id, chatModel]));
  // DRUM records the conversation on chat spans: so does the example (the library's default is off).
  private readonly genAi = new GenAiTelemetry({ providerName: PROVIDER_NAME, captureMessageContent: true });
  private readonly tokenDelayMs: number;

  constructor(
    private readonly model: IrisModel,
    private readonly options: ChatOptions = {},
  ) {
    this.tokenDelayMs = options.tokenDelayMs ?? DEFAULT_TOKEN_DELAY_MS;
  }

  /** The ids the routes accept. */
  get modelIds(): ReadonlySet<string> {
    return new Set(this.models.keys());
  }

  /** Answers one request on `response`; resolves once the answer is out or the client has left. */
  async answer(request: ChatRequest, response: ServerResponse): Promise<void> {
    const promptTokens = countPromptTokens(request.messages.map((message) => message.content));
    const turn = this.genAi.startTurn({
      model: request.model,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      inputTokens: promptTokens,
      messages: request.messages,
    });
    const identity: CompletionIdentity = {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    turn.recordResponse({ id: identity.id, model: identity.model });
    const left = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) left.abort();
    });
    if (request.stream) startStream(response, identity, request.includeUsage);
    const generation = await this.generate(request, turn, left.signal, (token) => {
      if (request.stream) response.write(chunkEvent(identity, { content: token }, null, request.includeUsage));
    });
    this.options.onGeneration?.({ id: identity.id, model: identity.model, outputTokens: generation.tokens.length, end: generation.end });
    if (generation.end === 'aborted') {
      turn.end({ aborted: true });
      return;
    }
    const text = generation.tokens.join('');
    // Before the last byte: the span ends when the response does.
    turn.end({ finishReasons: [generation.end], messages: [{ role: 'assistant', content: text }] });
    const totals = usage(promptTokens, generation.tokens.length);
    if (!request.stream) {
      sendJson(response, 200, completion(identity, text, generation.end, totals));
      return;
    }
    response.write(chunkEvent(identity, {}, generation.end, request.includeUsage));
    if (request.includeUsage) response.write(usageEvent(identity, totals));
    response.end(DONE_EVENT);
  }

  /** Runs the generation, counting each token on the turn before it is written. */
  private generate(request: ChatRequest, turn: GenAiTurn, signal: AbortSignal, write: (token: string) => void): Promise<Generation> {
    const tokens = tokenize(answer(this.model, this.models.get(request.model)!, request.messages));
    return generate(tokens, { limit: request.maxTokens, delayMs: this.tokenDelayMs, signal }, (token) => {
      turn.recordOutputTokens(1);
      write(token);
    });
  }
}

/** The stream's head and its first chunk, which names the role, as OpenAI's streams start. */
function startStream(response: ServerResponse, identity: CompletionIdentity, includeUsage: boolean): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  response.write(chunkEvent(identity, { role: 'assistant', content: '' }, null, includeUsage));
}
