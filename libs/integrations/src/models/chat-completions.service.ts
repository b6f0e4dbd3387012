import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import {
  APICallError,
  type FinishReason,
  generateText,
  jsonSchema,
  type LanguageModelUsage,
  LoadAPIKeyError,
  type ModelMessage,
  NoObjectGeneratedError,
  Output,
  RetryError,
  streamText,
} from 'ai';
import { IntegrationError } from './integration-error.js';
import { ModelRegistry } from './model-registry.js';

/** An OpenAI chat completions request, the part of it we honour (validated by the HTTP layer). */
export interface ChatCompletionRequest {
  /** `<provider>[:<model>]`; AGENT_MODEL when absent. */
  model?: string;
  messages: Array<{
    role: 'system' | 'developer' | 'user' | 'assistant';
    content: string | Array<{ type: 'text'; text: string }> | null;
  }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  response_format?:
    | { type: 'text' }
    | { type: 'json_object' }
    | {
        type: 'json_schema';
        json_schema: {
          name: string;
          description?: string;
          schema?: Record<string, unknown>;
          strict?: boolean | null;
        };
      };
}

export type ChatFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string };
    finish_reason: ChatFinishReason;
  }>;
  usage: ChatUsage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string };
    finish_reason: ChatFinishReason | null;
  }>;
  usage?: ChatUsage;
}

export interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}

/**
 * OpenAI-compatible chat completions over any model of the registry, through the AI SDK, so a CLI
 * model, Anthropic or an OpenAI-compatible server answer alike. Token counts are the models' own.
 */
@Injectable()
export class ChatCompletionsService {
  private readonly startedAt = Math.floor(Date.now() / 1000);

  constructor(
    private readonly models: ModelRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async complete(request: ChatCompletionRequest, signal?: AbortSignal): Promise<ChatCompletion> {
    const call = this.prepare(request, signal);
    try {
      const result = await generateText(call.options);
      return {
        id: call.id,
        object: 'chat.completion',
        created: call.created,
        model: call.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: result.text },
            finish_reason: finishReason(result.finishReason),
          },
        ],
        usage: usageOf(result.totalUsage),
      };
    } catch (error) {
      throw asIntegrationError(error);
    }
  }

  /**
   * The completion as chunks. Resolves once the model has produced its first text (or finished), so a
   * model that fails at once (no login, no CLI, a timeout) rejects here, while an HTTP error status can
   * still be sent; a failure after that is thrown by the iteration.
   */
  async stream(
    request: ChatCompletionRequest,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<ChatCompletionChunk>> {
    const call = this.prepare(request, signal);
    const result = streamText({ ...call.options, onError: () => undefined });
    const parts = result.fullStream[Symbol.asyncIterator]();
    const early: Array<{ type: string }> = [];
    for (;;) {
      const next = await parts.next();
      if (next.done) break;
      if (next.value.type === 'error') throw asIntegrationError(next.value.error);
      early.push(next.value);
      if (next.value.type === 'text-delta' || next.value.type === 'finish') break;
    }
    const includeUsage = request.stream_options?.include_usage === true;
    return (async function* () {
      const chunk = (choice: ChatCompletionChunk['choices'][number] | undefined, usage?: ChatUsage) => ({
        id: call.id,
        object: 'chat.completion.chunk' as const,
        created: call.created,
        model: call.model,
        choices: choice ? [choice] : [],
        ...(usage ? { usage } : {}),
      });
      yield chunk({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
      let usage: ChatUsage | undefined;
      const all = async function* () {
        yield* early as Awaited<ReturnType<typeof parts.next>>['value'][];
        for (let next = await parts.next(); !next.done; next = await parts.next()) yield next.value;
      };
      for await (const part of all()) {
        if (part.type === 'text-delta' && part.text) {
          yield chunk({ index: 0, delta: { content: part.text }, finish_reason: null });
        } else if (part.type === 'error') {
          throw asIntegrationError(part.error);
        } else if (part.type === 'finish') {
          usage = usageOf(part.totalUsage);
          yield chunk({ index: 0, delta: {}, finish_reason: finishReason(part.finishReason) });
        }
      }
      if (includeUsage && usage) yield chunk(undefined, usage);
    })();
  }

  /** The configured models, OpenAI-shaped. */
  listModels(): ModelList {
    return {
      object: 'list',
      data: this.models.list().map((m) => ({
        id: m.id,
        object: 'model',
        created: this.startedAt,
        owned_by: m.provider,
      })),
    };
  }

  private prepare(request: ChatCompletionRequest, signal?: AbortSignal) {
    const model = this.models.resolve(request.model);
    const instructions = request.messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => contentText(m.content))
      .join('\n\n');
    const messages: ModelMessage[] = request.messages.flatMap((m) =>
      m.role === 'user' || m.role === 'assistant' ? [{ role: m.role, content: contentText(m.content) }] : [],
    );
    const format = request.response_format;
    // The schema reaches the model (CLI models put it in the prompt); the answer is checked to be JSON.
    const output =
      format?.type === 'json_object'
        ? Output.json()
        : format?.type === 'json_schema'
          ? Output.object({
              schema: jsonSchema(format.json_schema.schema ?? {}),
              name: format.json_schema.name,
              description: format.json_schema.description,
            })
          : undefined;
    const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
    return {
      id: `chatcmpl-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model ?? this.config.integrations.agentModel,
      options: {
        model,
        ...(instructions ? { instructions } : {}),
        messages,
        temperature: request.temperature,
        topP: request.top_p,
        maxOutputTokens: request.max_completion_tokens ?? request.max_tokens,
        stopSequences: stop?.length ? stop : undefined,
        abortSignal: signal,
        ...(output ? { output } : {}),
      },
    };
  }
}

function contentText(content: ChatCompletionRequest['messages'][number]['content']): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}

function finishReason(reason: FinishReason): ChatFinishReason {
  const openai: Partial<Record<FinishReason, ChatFinishReason>> = {
    length: 'length',
    'content-filter': 'content_filter',
    'tool-calls': 'tool_calls',
  };
  return openai[reason] ?? 'stop';
}

function usageOf(usage: LanguageModelUsage): ChatUsage {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokens ?? prompt + completion,
  };
}

/** The AI SDK's own errors as ours, so the HTTP layer maps every model failure the same way. */
export function asIntegrationError(error: unknown): unknown {
  if (error instanceof IntegrationError) return error;
  if (RetryError.isInstance(error)) return asIntegrationError(error.lastError);
  if (LoadAPIKeyError.isInstance(error)) return new IntegrationError('missing_api_key', error.message);
  if (NoObjectGeneratedError.isInstance(error)) {
    return new IntegrationError('malformed_output', 'the model did not answer with valid JSON');
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      return new IntegrationError(
        'missing_api_key',
        `the model provider refused its credentials (HTTP ${status})`,
      );
    }
    return new IntegrationError(
      'provider_failed',
      `the model provider answered ${status ? `HTTP ${status}` : 'nothing'}: ${error.message.slice(0, 300)}`,
    );
  }
  return error;
}
