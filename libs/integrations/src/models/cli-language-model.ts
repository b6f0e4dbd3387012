import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
  SharedV4Warning,
} from '@ai-sdk/provider';
import type { ConcurrencyGate } from '@seed/runtime';
import { CliCommand, CliExit, redact, startCli } from './cli-process.js';
import { extractJson } from './cli-prompt.js';
import { IntegrationError } from './integration-error.js';

/** What a CLI's output means, whatever its format. */
export type CliEvent =
  | { type: 'metadata'; id?: string; modelId?: string }
  | { type: 'text'; delta: string }
  | { type: 'reasoning'; delta: string }
  | {
      type: 'finish';
      finishReason: LanguageModelV4FinishReason;
      usage: LanguageModelV4Usage;
      providerMetadata?: SharedV4ProviderMetadata;
    }
  | { type: 'error'; error: IntegrationError };

/** Reads one CLI output format. Stateful: one instance per call. */
export interface CliDialect {
  line(line: string): CliEvent[];
  /** After the process exited: the finish, or an error (say what a non-zero exit meant). */
  end(exit: CliExit): CliEvent[];
}

/** One prepared call: the process to run and how to read it. */
export interface CliCall {
  /** `env` without HOME and TMPDIR: each call gets its own, private and removed afterwards. */
  command: Omit<CliCommand, 'signal' | 'cwd'>;
  dialect: CliDialect;
  warnings: SharedV4Warning[];
  json: boolean;
  /** Files for the CLI (e.g. a system prompt) to write into its private working directory. */
  files?: Record<string, string>;
  /** Variables naming a directory inside the private HOME, created empty: `{ CODEX_HOME: '.codex' }`. */
  homeDirs?: Record<string, string>;
  /**
   * Login files copied into the private HOME (`to` is relative to it), so the CLI sees the login and none
   * of the settings, MCP servers or history around it. A copy the CLI refreshed is written back.
   */
  logins?: { from: string; to: string }[];
}

/**
 * A LanguageModelV4 over a CLI that takes the prompt on stdin and prints events: subclasses build the
 * command line and read the output format; this runs it, in a fresh empty working directory (the CLI
 * sees no project files) with a fresh HOME, within the node's bound on CLI processes (`slots`), and turns
 * the events into AI SDK results or stream parts.
 */
export abstract class CliLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4';
  readonly supportedUrls: Record<string, RegExp[]> = {};
  abstract readonly provider: string;
  abstract readonly modelId: string;

  constructor(private readonly slots: ConcurrencyGate) {}

  protected abstract prepare(options: LanguageModelV4CallOptions, streaming: boolean): CliCall;

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const call = this.prepare(options, false);
    let text = '';
    let reasoning = '';
    let metadata: { id?: string; modelId?: string } = {};
    let finish: Extract<CliEvent, { type: 'finish' }> | undefined;
    for await (const event of runCall(call, this.slots, options.abortSignal)) {
      if (event.type === 'text') text += event.delta;
      else if (event.type === 'reasoning') reasoning += event.delta;
      else if (event.type === 'metadata') metadata = { ...metadata, ...event };
      else if (event.type === 'finish') finish = event;
    }
    if (!finish) throw new IntegrationError('malformed_output', `the ${this.provider} CLI gave no answer`);
    const content: LanguageModelV4Content[] = [];
    if (reasoning) content.push({ type: 'reasoning', text: reasoning });
    content.push({ type: 'text', text: call.json ? extractJson(text) : text });
    return {
      content,
      finishReason: finish.finishReason,
      usage: finish.usage,
      providerMetadata: finish.providerMetadata,
      request: { body: { args: call.command.args } },
      response: { id: metadata.id, modelId: metadata.modelId ?? this.modelId, timestamp: new Date() },
      warnings: call.warnings,
    };
  }

  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const call = this.prepare(options, true);
    const cancel = new AbortController();
    const signal = options.abortSignal
      ? AbortSignal.any([options.abortSignal, cancel.signal])
      : cancel.signal;
    const pump = async (controller: ReadableStreamDefaultController<LanguageModelV4StreamPart>) => {
      const open = { text: false, reasoning: false };
      let buffered = '';
      const endParts = () => {
        if (open.reasoning) controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
        if (call.json && buffered) {
          controller.enqueue({ type: 'text-start', id: 'text-0' });
          controller.enqueue({ type: 'text-delta', id: 'text-0', delta: extractJson(buffered) });
          open.text = true;
        }
        if (open.text) controller.enqueue({ type: 'text-end', id: 'text-0' });
      };
      try {
        for await (const event of runCall(call, this.slots, signal)) {
          switch (event.type) {
            case 'metadata':
              controller.enqueue({
                type: 'response-metadata',
                id: event.id,
                modelId: event.modelId,
                timestamp: new Date(),
              });
              break;
            case 'reasoning':
              if (!open.reasoning) controller.enqueue({ type: 'reasoning-start', id: 'reasoning-0' });
              open.reasoning = true;
              controller.enqueue({ type: 'reasoning-delta', id: 'reasoning-0', delta: event.delta });
              break;
            case 'text':
              // A JSON answer is sent whole at the end, once its fences are gone.
              if (call.json) {
                buffered += event.delta;
                break;
              }
              if (!open.text) controller.enqueue({ type: 'text-start', id: 'text-0' });
              open.text = true;
              controller.enqueue({ type: 'text-delta', id: 'text-0', delta: event.delta });
              break;
            case 'finish':
              endParts();
              controller.enqueue({
                type: 'finish',
                finishReason: event.finishReason,
                usage: event.usage,
                providerMetadata: event.providerMetadata,
              });
              break;
          }
        }
        controller.close();
      } catch (error) {
        if (cancel.signal.aborted) return; // the consumer went away: nobody to tell
        controller.enqueue({ type: 'error', error });
        controller.close();
      }
    };
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      start: (controller) => {
        controller.enqueue({ type: 'stream-start', warnings: call.warnings });
        void pump(controller);
      },
      cancel: () => cancel.abort(),
    });
    return { stream, request: { body: { args: call.command.args } } };
  }
}

/**
 * Runs the CLI and yields its events; throws the first error event (redacted), a process failure
 * (`cli_not_found`, `cli_timeout`, abort), `model_busy` when too many calls wait for a slot, or
 * `malformed_output` when it finished without an answer. The slot is held until the process has exited;
 * then its directories are removed whatever happened.
 */
async function* runCall(
  call: CliCall,
  slots: ConcurrencyGate,
  signal: AbortSignal | undefined,
): AsyncGenerator<CliEvent> {
  const release = await slots.acquire();
  let root: string | undefined;
  let run: ReturnType<typeof startCli> | undefined;
  let logins: CopiedLogin[] = [];
  const clean = (error: IntegrationError) =>
    new IntegrationError(error.code, redact(error.message, call.command.secrets), error.details);
  try {
    const base = mkdtempSync(join(tmpdir(), `seed-${call.command.name}-`));
    root = base;
    const [cwd, home, tmp] = ['work', 'home', 'tmp'].map((name) => join(base, name));
    for (const dir of [cwd, home, tmp]) mkdirSync(dir, { mode: 0o700 });
    const env: Record<string, string> = { ...call.command.env, HOME: home, TMPDIR: tmp };
    for (const [name, relative] of Object.entries(call.homeDirs ?? {})) {
      env[name] = join(home, relative);
      mkdirSync(env[name], { recursive: true, mode: 0o700 });
    }
    logins = (call.logins ?? []).map((login) => copyLogin(login.from, join(home, login.to)));
    for (const [name, content] of Object.entries(call.files ?? {})) {
      writeFileSync(join(cwd, name), content, { mode: 0o600 });
    }
    run = startCli({ ...call.command, env, cwd, signal });
    let finished = false;
    const take = function* (events: CliEvent[]) {
      for (const event of events) {
        if (event.type === 'error') throw clean(event.error);
        if (event.type === 'finish') finished = true;
        yield event;
      }
    };
    for await (const line of run.lines) {
      if (line.trim()) yield* take(call.dialect.line(line));
    }
    const exit = await run.exit;
    if (!finished) yield* take(call.dialect.end(exit));
    if (!finished) {
      throw new IntegrationError(
        'malformed_output',
        `the ${call.command.name} CLI finished without an answer`,
      );
    }
  } finally {
    run?.stop();
    await run?.exit.catch(() => undefined);
    logins.forEach(writeBackIfRefreshed);
    if (root) rmSync(root, { recursive: true, force: true });
    release();
  }
}

interface CopiedLogin {
  from: string;
  to: string;
  copied: Buffer;
}

function copyLogin(from: string, to: string): CopiedLogin {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  try {
    copyFileSync(from, to);
  } catch (error) {
    // it was there when the model was resolved: removed or unreadable since
    throw new IntegrationError(
      'missing_api_key',
      `the CLI login ${from} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return { from, to, copied: readFileSync(to) };
}

/**
 * A CLI that refreshed its OAuth token rewrote its copy; the original gets it too (atomically), or the
 * next call would present a refresh token that may have been rotated away. Best effort: a read-only
 * login directory keeps working until its access token expires.
 */
function writeBackIfRefreshed(login: CopiedLogin): void {
  try {
    const now = readFileSync(login.to);
    if (now.equals(login.copied)) return;
    const temporary = `${login.from}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temporary, now, { mode: 0o600 });
    renameSync(temporary, login.from);
  } catch {
    // the CLI removed its copy, or the original is not writable: nothing better to do
  }
}

/** Usage with every count unknown, for outputs that carry none. */
export function unknownUsage(): LanguageModelV4Usage {
  return {
    inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: undefined, text: undefined, reasoning: undefined },
  };
}

/** A JSON line, or undefined for anything else (CLIs print the odd non-JSON line). */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Provider metadata without undefined values (it must be JSON). */
export function metadataOf(provider: string, values: Record<string, string | number | undefined>) {
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number
  >;
  return { [provider]: defined } satisfies SharedV4ProviderMetadata;
}

export function malformed(name: string, why: string): CliEvent {
  return {
    type: 'error',
    error: new IntegrationError('malformed_output', `the ${name} CLI answered oddly: ${why}`),
  };
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
