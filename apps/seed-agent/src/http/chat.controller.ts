import { Catch, Controller, Get, HttpCode, Logger, Post, Res, UseFilters } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ChatCompletionsService } from '@seed/integrations';
import type { FastifyReply } from 'fastify';
import { AnyRole, Roles } from './auth/roles.decorator.js';
import { ChatCompletionBody, chatCompletionRequestSchema } from './chat.dto.js';
import { ErrorFilter, type ErrorResponse, toErrorResponse } from './error.filter.js';
import { NO_REQUEST_TIMEOUT } from './request-timeout.js';
import { ValidBody } from './validated.js';
import { Actor, CurrentActor } from './actor.js';
import { EventStreams } from './sse.js';

/** OpenAI's error shape, `{ error: { message, type, code } }`, with our codes and statuses. */
export function openAiError(error: unknown, logger: Logger): ErrorResponse<unknown> {
  const { status, body } = toErrorResponse(error, logger);
  return {
    status,
    body: { error: { message: body.error.message, type: errorType(status), code: body.error.code } },
  };
}

function errorType(status: number): string {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'invalid_request_error',
    429: 'rate_limit_error',
  };
  return types[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** Every failure of the /v1 routes (auth, validation, the model) in OpenAI's shape, for OpenAI clients. */
@Catch()
export class OpenAiErrorFilter extends ErrorFilter {
  protected override readonly logger = new Logger('Chat');

  protected override respond(error: unknown): ErrorResponse<unknown> {
    return openAiError(error, this.logger);
  }
}

/**
 * OpenAI-compatible chat completions, routed by `model` to any configured model (AGENT_MODEL when
 * absent). No request timeout of its own: CLI_TIMEOUT bounds a CLI model, and a client that goes away
 * stops the call.
 */
@Controller('v1')
@UseFilters(OpenAiErrorFilter)
export class ChatController {
  private readonly logger = new Logger('Chat');

  constructor(
    private readonly chat: ChatCompletionsService,
    private readonly streams: EventStreams,
  ) {}

  @Post('chat/completions')
  @Roles('admin', 'agent')
  @RouteConfig(NO_REQUEST_TIMEOUT)
  async completions(
    @ValidBody(chatCompletionRequestSchema) body: ChatCompletionBody,
    @CurrentActor() actor: Actor,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const gone = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    if (!body.stream) {
      const completion = await this.chat.complete(body, gone.signal);
      void reply.status(200).send(completion);
      return;
    }
    // Until the first text arrives a failure is still an HTTP error; after it, an error event in the stream.
    this.streams.checkRoom(actor);
    const chunks = await this.chat.stream(body, gone.signal);
    const stream = this.streams.start(reply, actor);
    const send = (data: unknown) =>
      stream.send(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    try {
      for await (const chunk of chunks) {
        // Gone, or dropped for not reading: the abort stops the model.
        if (stream.closed) return;
        send(chunk);
      }
    } catch (error) {
      if (gone.signal.aborted) return;
      send(openAiError(error, this.logger).body);
    }
    send('[DONE]');
    stream.end();
  }

  @Get('models')
  @AnyRole()
  @HttpCode(200)
  models() {
    return this.chat.listModels();
  }
}
