import 'reflect-metadata';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Controller, Get, JsonController, Post, Req, Res, UseBefore } from 'routing-controllers';
import { NoTrace, Traced } from 'drum-otel';
import type { IrisModel } from '../model';
import { CHAT_MODELS, MODELS_CREATED } from './assistant';
import { logRejection } from '../log';
import { ChatCompletions, type ChatOptions } from './completions';
import { openAiError, parseChatRequest, type OpenAiError } from './wire';

/** What the chat routes need from the app. */
export interface ChatDependencies extends ChatOptions {
  readonly model: IrisModel;
  readonly maxBodyBytes: number;
}

function send(response: Response, failure: OpenAiError): void {
  logRejection(response.req, failure.status, failure.body.error.message);
  response.status(failure.status).json(failure.body);
}

/** Reads the body as bytes; a body the parser refuses (too large, cut off) gets an OpenAI-shaped error. */
function chatBodyReader(maxBodyBytes: number) {
  const raw = express.raw({ type: () => true, limit: maxBodyBytes });
  return (request: Request, response: Response, next: NextFunction) =>
    raw(request, response, (error?: unknown) => {
      if (error === undefined) return next();
      const { status, type, message } = error as { status?: number; type?: string; message?: string };
      const text = type === 'entity.too.large' ? `The request body is larger than the limit of ${maxBodyBytes} bytes.` : String(message);
      send(response, openAiError(typeof status === 'number' ? status : 400, text));
    });
}

/**
 * Defines DRUM's OpenAI-compatible chat routes for one app: `POST /chat/completions` and
 * `/v1/chat/completions` (span `drum.chat.completions`), and the model list on `GET /models` and
 * `/v1/models` (no span). No trailing slash: OpenAI clients append these paths to their base URL.
 */
export function defineChatControllers(dependencies: ChatDependencies): Function[] {
  const completions = new ChatCompletions(dependencies.model, dependencies);
  const modelIds = completions.modelIds;

  @Controller()
  @UseBefore(chatBodyReader(dependencies.maxBodyBytes))
  class ChatController {
    @Post('/chat/completions')
    @Post('/v1/chat/completions')
    @Traced('drum.chat.completions')
    async complete(@Req() request: Request, @Res() response: Response) {
      const parsed = parseChatRequest(request.body, modelIds);
      if ('status' in parsed) send(response, parsed);
      else await completions.answer(parsed, response);
      return response;
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
