import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { MockLanguageModelV4 } from 'ai/test';

/** A model answer: the JSON object the agent asks for, with the usage (and cost) it reports. */
export function answer(
  source: string,
  options: { tokens?: number; inputTokens?: number; outputTokens?: number; costUsd?: number } = {},
): LanguageModelV4GenerateResult {
  const half = (options.tokens ?? 20) / 2;
  const input = options.inputTokens ?? half;
  const output = options.outputTokens ?? half;
  return {
    content: [
      { type: 'text', text: JSON.stringify({ source, rationale: `proposal of ${source.length} chars` }) },
    ],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: output, text: output, reasoning: 0 },
    },
    warnings: [],
    ...(options.costUsd !== undefined ? { providerMetadata: { mock: { costUsd: options.costUsd } } } : {}),
  };
}

export function promptText(options: LanguageModelV4CallOptions): string {
  return options.prompt
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
    )
    .join('\n');
}

/**
 * A module's script: the answer to a prompt (the module's call count, from 1, and the call's options, e.g. its
 * maxOutputTokens), or a promise of it.
 */
type Script = (
  prompt: string,
  call: number,
  options: LanguageModelV4CallOptions,
) => LanguageModelV4GenerateResult | Promise<LanguageModelV4GenerateResult>;

/**
 * A mock model scripted per module (read from the prompt's `Module:` line) by a function of the prompt, so
 * concurrent candidates get answers by what they were asked, not by arrival order. Keeps every prompt.
 */
export class ScriptedModel {
  readonly prompts: string[] = [];
  /** Each call's output cap (maxOutputTokens), in call order: undefined when it had none. */
  readonly outputCaps: Array<number | undefined> = [];
  private readonly scripts = new Map<string, Script>();
  private readonly calls = new Map<string, number>();
  readonly model = new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'mock',
    doGenerate: async (options: LanguageModelV4CallOptions) => {
      const text = promptText(options);
      this.prompts.push(text);
      this.outputCaps.push(options.maxOutputTokens);
      const module = /^Module: (\S+)/m.exec(text)?.[1] ?? '?';
      const script = this.scripts.get(module);
      if (!script) throw new Error(`no script for module ${module}`);
      const call = (this.calls.get(module) ?? 0) + 1;
      this.calls.set(module, call);
      return script(text, call, options);
    },
  });

  script(module: string, answerFor: Script): void {
    this.scripts.set(module, answerFor);
  }

  callsFor(module: string): number {
    return this.calls.get(module) ?? 0;
  }
}
