import { Injectable } from '@nestjs/common';
import {
  CapabilityBroker,
  type GenerateRequest,
  type GenerateResult,
  type ModelGateway,
} from '@seed/capabilities';
import { generateText } from 'ai';
import { ModelRegistry } from './model-registry.js';

/** ctx.model.generate through the node's models (the module's grant names one, or AGENT_MODEL). */
@Injectable()
export class ModuleModels implements ModelGateway {
  constructor(
    private readonly models: ModelRegistry,
    broker: CapabilityBroker,
  ) {
    broker.useModels(this);
  }

  async generate(
    spec: string | undefined,
    request: GenerateRequest,
    signal: AbortSignal,
  ): Promise<GenerateResult> {
    const common = {
      model: this.models.resolve(spec),
      ...(request.system ? { system: request.system } : {}),
      maxOutputTokens: request.maxTokens,
      abortSignal: signal,
    };
    const result = request.messages
      ? await generateText({ ...common, messages: request.messages.map((m) => ({ ...m })) })
      : await generateText({ ...common, prompt: request.prompt ?? '' });
    const inputTokens = result.usage.inputTokens ?? 0;
    const outputTokens = result.usage.outputTokens ?? 0;
    return {
      text: result.text,
      usage: {
        inputTokens,
        outputTokens,
        totalTokens: result.usage.totalTokens ?? inputTokens + outputTokens,
      },
    };
  }
}
