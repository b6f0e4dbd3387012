import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV4CallOptions, LanguageModelV4Usage } from '@ai-sdk/provider';
import type { IntegrationsConfig } from '@seed/config';
import type { ConcurrencyGate } from '@seed/runtime';
import {
  CliCall,
  CliDialect,
  CliEvent,
  CliLanguageModel,
  metadataOf,
  num,
  parseJsonLine,
  text,
  unknownUsage,
} from './cli-language-model.js';
import { CliExit, cliFailed } from './cli-process.js';
import { renderCliPrompt } from './cli-prompt.js';
import { IntegrationError } from './integration-error.js';

export const CODEX_CLI = 'codex-cli';
/** The model id reported when neither the call nor CODEX_DEFAULT_MODEL names one (the CLI's own default). */
const CLI_DEFAULT = 'default';

/**
 * The Codex CLI (`codex exec --json`) as an AI SDK model: the prompt on stdin (`-`), JSONL events on
 * stdout. Codex prints each agent message whole (`item.completed`), so a stream gets one delta per message.
 * The system prompt has no flag of its own and goes first in the prompt text. It runs in its sandbox
 * (CODEX_SANDBOX, read-only by default) and never asks for approval (nobody is there to answer); its
 * CODEX_HOME is a fresh directory holding a copy of `auth.json` only, so no config.toml, MCP server,
 * `.env` or history of the service's login applies.
 */
export class CodexCliLanguageModel extends CliLanguageModel {
  readonly provider = CODEX_CLI;
  readonly modelId: string;
  private readonly auth: string;

  constructor(
    model: string | undefined,
    private readonly config: IntegrationsConfig,
    slots: ConcurrencyGate,
  ) {
    super(slots);
    this.modelId = model ?? config.codex.defaultModel ?? CLI_DEFAULT;
    this.auth = codexAuth(config);
  }

  protected prepare(options: LanguageModelV4CallOptions): CliCall {
    const prompt = renderCliPrompt(options, []);
    const args = ['exec', '--json', '--skip-git-repo-check', '--sandbox', this.config.codex.sandbox];
    args.push('-c', 'approval_policy="never"');
    if (this.modelId !== CLI_DEFAULT) args.push('--model', this.modelId);
    args.push('-');
    return {
      command: {
        name: 'codex',
        command: this.config.codex.cliPath,
        args,
        env: { ...this.config.cliEnv, NO_COLOR: '1' },
        input: prompt.system
          ? `<instructions>\n${prompt.system}\n</instructions>\n\n${prompt.text}`
          : prompt.text,
        timeoutMs: this.config.cliTimeoutMs,
        secrets: [],
      },
      dialect: new CodexJsonl(),
      warnings: prompt.warnings,
      json: prompt.json,
      homeDirs: { CODEX_HOME: '.codex' },
      logins: [{ from: this.auth, to: '.codex/auth.json' }],
    };
  }
}

/**
 * The credentials check (`missing_api_key`): Codex keeps its login (`codex login`, ChatGPT or API key) in
 * `auth.json` under CODEX_HOME, else `~/.codex`.
 */
function codexAuth(config: IntegrationsConfig): string {
  const codexHome = config.codex.home ?? join(config.serviceHome ?? homedir(), '.codex');
  const auth = join(codexHome, 'auth.json');
  if (!existsSync(auth)) {
    throw new IntegrationError(
      'missing_api_key',
      `the Codex CLI has no login: run \`codex login\` with CODEX_HOME=${codexHome} (looked for ${auth})`,
    );
  }
  return auth;
}

export function codexCredentialsAvailable(config: IntegrationsConfig): boolean {
  try {
    codexAuth(config);
    return true;
  } catch {
    return false;
  }
}

/**
 * `codex exec --json` events: `thread.started` {thread_id}, `turn.started`, `item.started|updated|completed`
 * {item: {type: agent_message | reasoning | command_execution | …, text}}, `turn.completed` {usage},
 * `turn.failed` {error: {message}}, and `error` {message} (also sent for retries, so only fatal when
 * the turn never completes).
 */
class CodexJsonl implements CliDialect {
  private threadId?: string;
  private sawText = false;
  private lastError?: string;

  line(line: string): CliEvent[] {
    const event = parseJsonLine(line);
    if (!event) return [];
    switch (event.type) {
      case 'thread.started':
        this.threadId = text(event.thread_id);
        return [{ type: 'metadata', id: this.threadId }];
      case 'item.completed': {
        const item = (event.item ?? {}) as Record<string, unknown>;
        const said = text(item.text);
        if (!said) return [];
        if (item.type === 'reasoning') return [{ type: 'reasoning', delta: said }];
        if (item.type !== 'agent_message') return [];
        const delta = this.sawText ? `\n\n${said}` : said;
        this.sawText = true;
        return [{ type: 'text', delta }];
      }
      case 'turn.completed':
        return [
          {
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'turn.completed' },
            usage: codexUsage(event.usage),
            providerMetadata: metadataOf(CODEX_CLI, { threadId: this.threadId }),
          },
        ];
      case 'turn.failed':
        return [
          codexFailure(text((event.error as { message?: unknown } | undefined)?.message) ?? 'turn failed'),
        ];
      case 'error':
        this.lastError = text(event.message) ?? this.lastError;
        return [];
      default:
        return [];
    }
  }

  end(exit: CliExit): CliEvent[] {
    if (this.lastError) return [codexFailure(this.lastError)];
    if (exit.code !== 0) return [{ type: 'error', error: cliFailed('codex', exit) }];
    return [];
  }
}

function codexFailure(message: string): CliEvent {
  const said = message.slice(0, 500);
  if (
    /\b401\b|unauthori[sz]ed|not logged in|please log ?in|invalid api key|token (?:is )?expired/i.test(said)
  ) {
    return {
      type: 'error',
      error: new IntegrationError('missing_api_key', `Codex refused its credentials: ${said}`),
    };
  }
  return { type: 'error', error: new IntegrationError('cli_failed', `the codex CLI failed: ${said}`) };
}

/** OpenAI usage: input_tokens includes the cached ones. */
function codexUsage(value: unknown): LanguageModelV4Usage {
  if (!value || typeof value !== 'object') return unknownUsage();
  const usage = value as Record<string, unknown>;
  const input = num(usage.input_tokens);
  const cached = num(usage.cached_input_tokens);
  const output = num(usage.output_tokens);
  const reasoning = num(usage.reasoning_output_tokens);
  return {
    inputTokens: {
      total: input,
      noCache: input === undefined ? undefined : input - (cached ?? 0),
      cacheRead: cached,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: output === undefined ? undefined : output - (reasoning ?? 0),
      reasoning,
    },
    raw: usage as LanguageModelV4Usage['raw'],
  };
}
