import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { ConcurrencyGate } from '@seed/runtime';
import { CLAUDE_CLI, ClaudeCliLanguageModel, claudeCredentialsAvailable } from './claude-cli.model.js';
import { CODEX_CLI, CodexCliLanguageModel, codexCredentialsAvailable } from './codex-cli.model.js';
import { IntegrationError } from './integration-error.js';
import { formatModelSpec, parseModelSpec } from './model-spec.js';

// Part of the registry's API: callers resolving models handle these.
export { IntegrationError } from './integration-error.js';
export { parseModelSpec } from './model-spec.js';

export type ModelFactory = (model?: string) => LanguageModelV4;

export interface ListedModel {
  /** What to pass as `model`: `<provider>` or `<provider>:<model>`. */
  id: string;
  provider: string;
  model?: string;
}

interface Provider {
  factory: ModelFactory;
  /** Usable as configured (credentials present); registered providers always are. */
  available: () => boolean;
  /** The model listed for it when it is not the agent's. */
  defaultModel?: string;
}

export const ANTHROPIC = 'anthropic';
export const OPENAI_COMPATIBLE = 'openai-compatible';
/** `anthropic` without a model name. */
const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-4-5';

/**
 * Model specs (`<provider>[:<model>]`) to AI SDK language models. Built in: claude-cli and codex-cli (our
 * CLI models), anthropic (ANTHROPIC_API_KEY) and openai-compatible (OPENAI_COMPATIBLE_BASE_URL); tests
 * and extensions `register` more. Credentials are checked when a model is resolved, so a missing login
 * is a typed `missing_api_key` error, not a failed process.
 */
@Injectable()
export class ModelRegistry {
  private readonly providers = new Map<string, Provider>();
  /** The node's bound on CLI processes, shared by every CLI model (and by any a caller builds itself). */
  readonly cliSlots: ConcurrencyGate;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const integrations = config.integrations;
    this.cliSlots = new ConcurrencyGate(
      integrations.cliMaxConcurrent,
      integrations.cliQueueLimit,
      (running, waiting) =>
        new IntegrationError(
          'model_busy',
          `${running} CLI model calls are running and ${waiting} are waiting (CLI_MAX_CONCURRENT, CLI_QUEUE_LIMIT); retry later`,
        ),
    );
    const slots = this.cliSlots;
    this.providers.set(CLAUDE_CLI, {
      factory: (model) =>
        new ClaudeCliLanguageModel(model ?? integrations.claude.defaultModel, integrations, slots),
      available: () => claudeCredentialsAvailable(integrations),
      defaultModel: integrations.claude.defaultModel,
    });
    this.providers.set(CODEX_CLI, {
      factory: (model) => new CodexCliLanguageModel(model, integrations, slots),
      available: () => codexCredentialsAvailable(integrations),
      defaultModel: integrations.codex.defaultModel,
    });
    this.providers.set(ANTHROPIC, {
      factory: (model) => {
        const apiKey = integrations.anthropic.apiKey;
        if (!apiKey)
          throw new IntegrationError('missing_api_key', 'the anthropic provider needs ANTHROPIC_API_KEY');
        return createAnthropic({ apiKey })(model ?? ANTHROPIC_DEFAULT_MODEL);
      },
      available: () => Boolean(integrations.anthropic.apiKey),
      defaultModel: ANTHROPIC_DEFAULT_MODEL,
    });
    this.providers.set(OPENAI_COMPATIBLE, {
      factory: (model) => {
        const { baseUrl, apiKey } = integrations.openaiCompatible;
        if (!baseUrl) {
          throw new IntegrationError(
            'missing_api_key',
            'the openai-compatible provider needs OPENAI_COMPATIBLE_BASE_URL',
          );
        }
        if (!model) {
          throw new IntegrationError('invalid_model', 'name the model: "openai-compatible:<model>"');
        }
        return createOpenAICompatible({ name: OPENAI_COMPATIBLE, baseURL: baseUrl, apiKey }).chatModel(model);
      },
      // Listed only through AGENT_MODEL: it has no model of its own to offer.
      available: () => false,
    });
    // The AI SDK prints warnings (e.g. a setting a CLI cannot honour) on the console; send them to our logs.
    const logger = new Logger('AI SDK');
    globalThis.AI_SDK_LOG_WARNINGS ??= ({ warnings, provider, model }) =>
      logger.debug(`${provider}:${model}: ${JSON.stringify(warnings)}`);
  }

  /** The model of `spec` (default AGENT_MODEL). Throws IntegrationError unknown_provider, missing_api_key, invalid_model. */
  resolve(spec?: string): LanguageModelV4 {
    const { provider, model } = parseModelSpec(spec ?? this.config.integrations.agentModel);
    const entry = this.providers.get(provider);
    if (!entry) {
      throw new IntegrationError(
        'unknown_provider',
        `unknown model provider "${provider}"; known: ${[...this.providers.keys()].join(', ')}`,
      );
    }
    return entry.factory(model);
  }

  /** Adds (or replaces) a provider, e.g. a mock model in tests. */
  register(provider: string, factory: ModelFactory): void {
    const { provider: name, model } = parseModelSpec(provider);
    if (model !== undefined) {
      throw new IntegrationError('unknown_provider', `"${provider}" is not a provider name (no ":")`);
    }
    this.providers.set(name, { factory, available: () => true });
  }

  /** The configured models: AGENT_MODEL first, then every provider usable as configured. */
  list(): ListedModel[] {
    const listed = new Map<string, ListedModel>();
    const add = (provider: string, model?: string) => {
      const id = formatModelSpec({ provider, model });
      if (!listed.has(id)) listed.set(id, model === undefined ? { id, provider } : { id, provider, model });
    };
    try {
      const agent = parseModelSpec(this.config.integrations.agentModel);
      add(agent.provider, agent.model);
    } catch {
      // a malformed AGENT_MODEL is reported when it is resolved
    }
    for (const [provider, entry] of this.providers) {
      if (entry.available()) add(provider, entry.defaultModel);
    }
    return [...listed.values()];
  }
}
