import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import { Controller, Get, JsonController, Post } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import type { IrisModel } from '../model';
import { Http, type NodeHttp } from '../node-http';
import { logRejection } from '../log';
import { sendJson } from '../send-json';
import { CHAT_MODELS, MODELS_CREATED } from './assistant';
import { chatBodyReader } from './body';
import { ChatCompletions, type ChatOptions } from './completions';
import { parseChatRequest, type OpenAiError } from './wire';

/** What the chat routes need from the app. */
export interface ChatDependencies extends ChatOptions {
  readonly model: IrisModel;
  readonly maxBodyBytes: number;
}

function send(response: ServerResponse, failure: OpenAiError): void {
  logRejection(response.req, failure.status, failure.body.error.message);
  sendJson(response, failure.status, failure.body);
}

/**
 * Defines DRUM's OpenAI-compatible chat routes for one app: `POST /chat/completions` and
 * `/v1/chat/completions` (span `drum.chat.completions`), and the model list on `GET /models` and
 * `/v1/models` (no span). No trailing slash: OpenAI clients append these paths to their base URL.
 */
export function defineChatControllers(dependencies: ChatDependencies): Function[] {
  const completions = new ChatCompletions(dependencies.model, dependencies);
  const modelIds = completions.modelIds;
  const readBody = chatBodyReader(dependencies.maxBodyBytes);

  @Controller()
  class ChatController {
    @Post('/chat/completions')
    @Post('/v1/chat/completions')
    @Traced('drum.chat.completions')
    async complete(@Http() { request, response, answered }: NodeHttp) {
      const body = await readBody(request, response);
      const parsed = 'status' in body ? body : parseChatRequest(body, modelIds);
      if ('status' in parsed) send(response, parsed);
      else await completions.answer(parsed, response);
      return answered;
    }
  }

  /** The model list is a metadata route, like DRUM's: no span. */
  @NoTrace()
  @JsonController()
  class ModelsController {
    @Get('/models')
    @Get('/v1/models')
    list() {
      return {
        object: 'list',
        data: CHAT_MODELS.map((chatModel) => ({ id: chatModel.id, object: 'model', created: MODELS_CREATED, owned_by: 'drum-otel' })),
      };
    }
  }

  return [ChatController, ModelsController];
}
