import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import type { IntegrationsConfig } from '@seed/config';
import type { ConcurrencyGate } from '@seed/runtime';
import {
  CliCall,
  CliDialect,
  CliEvent,
  CliLanguageModel,
  malformed,
  metadataOf,
  num,
  parseJsonLine,
  text,
  unknownUsage,
} from './cli-language-model.js';
import { CliExit, cliFailed } from './cli-process.js';
import { renderCliPrompt } from './cli-prompt.js';
import { IntegrationError } from './integration-error.js';

export const CLAUDE_CLI = 'claude-cli';
const SYSTEM_PROMPT_FILE = 'system-prompt.md';
/**
 * Claude Code as a plain model, for Claude Code 2.1: `--tools ""` mounts no built-in tool (a deny list
 * like `--disallowedTools` leaves the rest), `--strict-mcp-config` with no `--mcp-config` starts no MCP
 * server (without it `--tools ""` still mounts the user's), `--setting-sources ""` loads no user, project
 * or local settings (hooks, permissions, plugins, CLAUDE.md).
 */
const NO_TOOLS = ['--tools', '', '--strict-mcp-config', '--setting-sources', ''];

/**
 * Claude Code (`claude --print`) as an AI SDK model. `--output-format json` for generate; `stream-json`
 * with `--verbose --include-partial-messages` for streaming (text deltas as the API sends them). A system
 * prompt replaces Claude Code's own through `--system-prompt-file`, so the CLI answers as a plain model.
 */
export class ClaudeCliLanguageModel extends CliLanguageModel {
  readonly provider = CLAUDE_CLI;
  private readonly login: ClaudeLogin;

  constructor(
    readonly modelId: string,
    private readonly config: IntegrationsConfig,
    slots: ConcurrencyGate,
  ) {
    super(slots);
    this.login = claudeLogin(config);
  }

  protected prepare(options: LanguageModelV4CallOptions, streaming: boolean): CliCall {
    const prompt = renderCliPrompt(options, ['maxOutputTokens']);
    const env = { ...this.login.env };
    const maxTokens = options.maxOutputTokens ?? this.config.claude.maxTokens;
    if (maxTokens) env.CLAUDE_CODE_MAX_OUTPUT_TOKENS = String(maxTokens);
    const args = streaming
      ? ['--print', ...NO_TOOLS, '--output-format', 'stream-json', '--verbose', '--include-partial-messages']
      : ['--print', ...NO_TOOLS, '--output-format', 'json'];
    args.push('--model', this.modelId);
    if (prompt.system) args.push('--system-prompt-file', SYSTEM_PROMPT_FILE);
    return {
      command: {
        name: 'claude',
        command: this.config.claude.cliPath,
        args,
        env,
        input: prompt.text,
        timeoutMs: this.config.cliTimeoutMs,
        secrets: [this.config.claude.oauthToken ?? ''],
      },
      dialect: streaming ? new ClaudeStreamJson() : new ClaudeJson(),
      warnings: prompt.warnings,
      json: prompt.json,
      files: prompt.system ? { [SYSTEM_PROMPT_FILE]: prompt.system } : {},
      homeDirs: { CLAUDE_CONFIG_DIR: '.claude' },
      logins: this.login.credentials
        ? [{ from: this.login.credentials, to: '.claude/.credentials.json' }]
        : [],
    };
  }
}

interface ClaudeLogin {
  /** The child's variables besides HOME, TMPDIR and CLAUDE_CONFIG_DIR (a fresh directory per call). */
  env: Record<string, string>;
  /** The `.credentials.json` copied into that directory, when there is no token. */
  credentials?: string;
}

/**
 * The credentials check (`missing_api_key`): CLAUDE_CODE_OAUTH_TOKEN (from `claude setup-token`), passed
 * in the child's environment, else a logged-in config directory's `.credentials.json`, copied into the
 * call's fresh one. CLAUDE_HOME is a home holding `.claude/` or the `.claude` directory itself; without
 * it, the service user's `~/.claude`.
 */
function claudeLogin(config: IntegrationsConfig): ClaudeLogin {
  const env: Record<string, string> = {
    ...config.cliEnv,
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
  if (config.claude.apiUrl) env.ANTHROPIC_BASE_URL = config.claude.apiUrl;
  if (config.claude.oauthToken) return { env: { ...env, CLAUDE_CODE_OAUTH_TOKEN: config.claude.oauthToken } };
  const claudeHome = config.claude.home;
  const configDir = !claudeHome
    ? join(config.serviceHome ?? homedir(), '.claude')
    : existsSync(join(claudeHome, '.claude'))
      ? join(claudeHome, '.claude')
      : claudeHome;
  const credentials = join(configDir, '.credentials.json');
  if (!existsSync(credentials)) {
    throw new IntegrationError(
      'missing_api_key',
      `Claude Code has no credentials: set CLAUDE_CODE_OAUTH_TOKEN (from \`claude setup-token\`) or point CLAUDE_HOME at a logged-in .claude directory (looked for ${credentials})`,
    );
  }
  return { env, credentials };
}

export function claudeCredentialsAvailable(config: IntegrationsConfig): boolean {
  try {
    claudeLogin(config);
    return true;
  } catch {
    return false;
  }
}

/** `--output-format json`: one result object at the end (an array of messages with older `--verbose`). */
class ClaudeJson implements CliDialect {
  private readonly lines: string[] = [];

  line(line: string): CliEvent[] {
    this.lines.push(line);
    return [];
  }

  end(exit: CliExit): CliEvent[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.lines.join('\n'));
    } catch {
      parsed = undefined;
    }
    const result = Array.isArray(parsed)
      ? (parsed as Record<string, unknown>[]).find((m) => m?.type === 'result')
      : (parsed as Record<string, unknown> | undefined);
    if (result?.type !== 'result') {
      if (exit.code !== 0) return [{ type: 'error', error: cliFailed('claude', exit) }];
      return [malformed('claude', 'its output is not the JSON result of --output-format json')];
    }
    const failure = claudeFailure(result);
    if (failure) return [failure];
    return [
      { type: 'metadata', id: text(result.session_id), modelId: modelOf(result) },
      { type: 'text', delta: text(result.result) ?? '' },
      finishOf(result),
    ];
  }
}

/**
 * `--output-format stream-json --verbose --include-partial-messages`: a `system` init line, `stream_event`
 * lines carrying the API's stream events (text and thinking deltas), `assistant` messages, then the same
 * `result` object as the json format.
 */
class ClaudeStreamJson implements CliDialect {
  private partial = false;
  private sawText = false;
  private stopReason?: string;
  private result?: Record<string, unknown>;

  line(line: string): CliEvent[] {
    const message = parseJsonLine(line);
    if (!message) return [];
    switch (message.type) {
      case 'system':
        return message.subtype === 'init'
          ? [{ type: 'metadata', id: text(message.session_id), modelId: text(message.model) }]
          : [];
      case 'stream_event': {
        this.partial = true;
        const event = (message.event ?? {}) as { type?: string; delta?: Record<string, unknown> };
        if (event.type === 'content_block_delta' && event.delta?.type === 'text_delta') {
          this.sawText = true;
          return [{ type: 'text', delta: text(event.delta.text) ?? '' }];
        }
        if (event.type === 'content_block_delta' && event.delta?.type === 'thinking_delta') {
          return [{ type: 'reasoning', delta: text(event.delta.thinking) ?? '' }];
        }
        if (event.type === 'message_delta')
          this.stopReason = text(event.delta?.stop_reason) ?? this.stopReason;
        return [];
      }
      case 'assistant': {
        // Without partial messages (an older CLI), whole assistant messages carry the text.
        if (this.partial) return [];
        const content = ((message.message as { content?: unknown[] } | undefined)?.content ?? []) as {
          type?: string;
          text?: string;
        }[];
        const said = content.flatMap((block) => (block.type === 'text' && block.text ? [block.text] : []));
        if (!said.length) return [];
        this.sawText = true;
        return [{ type: 'text', delta: said.join('\n\n') }];
      }
      case 'result': {
        this.result = message;
        const failure = claudeFailure(message);
        if (failure) return [failure];
        const events: CliEvent[] = [];
        const said = text(message.result);
        if (!this.sawText && said) events.push({ type: 'text', delta: said });
        events.push(finishOf(message, this.stopReason));
        return events;
      }
      default:
        return [];
    }
  }

  end(exit: CliExit): CliEvent[] {
    if (exit.code !== 0) return [{ type: 'error', error: cliFailed('claude', exit) }];
    return this.result ? [] : [malformed('claude', 'its stream ended without a result')];
  }
}

/** An error result: credentials refused → `missing_api_key`, anything else → `cli_failed`. */
function claudeFailure(result: Record<string, unknown>): CliEvent | undefined {
  const subtype = text(result.subtype) ?? 'success';
  if (result.is_error !== true && subtype === 'success') return undefined;
  const errors = Array.isArray(result.errors) ? result.errors.filter((e) => typeof e === 'string') : [];
  const said = (text(result.result) ?? errors.join('; ')).slice(0, 500) || subtype;
  if (
    /invalid api key|please run \/login|not logged in|oauth token|authentication_error|\b401\b/i.test(said)
  ) {
    return {
      type: 'error',
      error: new IntegrationError('missing_api_key', `Claude Code refused its credentials: ${said}`),
    };
  }
  return {
    type: 'error',
    error: new IntegrationError('cli_failed', `the claude CLI failed (${subtype}): ${said}`, { subtype }),
  };
}

function finishOf(result: Record<string, unknown>, streamedStop?: string): CliEvent {
  const raw = text(result.stop_reason) ?? streamedStop;
  return {
    type: 'finish',
    finishReason: finishReason(raw),
    usage: claudeUsage(result.usage),
    providerMetadata: metadataOf(CLAUDE_CLI, {
      sessionId: text(result.session_id),
      costUsd: num(result.total_cost_usd) ?? num(result.cost_usd),
      durationMs: num(result.duration_ms),
      numTurns: num(result.num_turns),
    }),
  };
}

function finishReason(raw: string | undefined): LanguageModelV4FinishReason {
  const unified: Record<string, LanguageModelV4FinishReason['unified']> = {
    end_turn: 'stop',
    stop_sequence: 'stop',
    pause_turn: 'stop',
    max_tokens: 'length',
    refusal: 'content-filter',
    tool_use: 'tool-calls',
  };
  return { unified: raw === undefined ? 'stop' : (unified[raw] ?? 'other'), raw };
}

/** Anthropic usage: input_tokens excludes the cache reads and writes, which are counted apart. */
function claudeUsage(value: unknown): LanguageModelV4Usage {
  if (!value || typeof value !== 'object') return unknownUsage();
  const usage = value as Record<string, unknown>;
  const input = num(usage.input_tokens);
  const write = num(usage.cache_creation_input_tokens);
  const read = num(usage.cache_read_input_tokens);
  const output = num(usage.output_tokens);
  return {
    inputTokens: {
      total: input === undefined ? undefined : input + (write ?? 0) + (read ?? 0),
      noCache: input,
      cacheRead: read,
      cacheWrite: write,
    },
    outputTokens: { total: output, text: output, reasoning: undefined },
    raw: usage as LanguageModelV4Usage['raw'],
  };
}

/** The full model name, from the result's per-model usage (`modelUsage`). */
function modelOf(result: Record<string, unknown>): string | undefined {
  const models = result.modelUsage;
  return models && typeof models === 'object' ? Object.keys(models)[0] : undefined;
}
