import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@seed/config';
import { generateText, Output, streamText } from 'ai';
import { z } from 'zod';
import { IntegrationError } from './integration-error';
import { ModelRegistry } from './model-registry';

/** The fake `claude` and `codex` executables speak the real CLIs' output formats (see their headers). */
const FIXTURES = resolve(__dirname, '../../../../apps/seed-agent/test/fixtures');
const TOKEN = 'sk-ant-oat01-fake-token-for-tests-0123456789';

describe('CLI language models (through fake claude and codex executables)', () => {
  let dir: string;
  let codexHome: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-cli-models-'));
    codexHome = join(dir, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'auth.json'), '{"OPENAI_API_KEY": null, "tokens": {}}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function registry(env: Record<string, string> = {}) {
    return new ModelRegistry(
      loadConfig({
        PATH: process.env.PATH ?? '',
        CLAUDE_CLI_PATH: join(FIXTURES, 'fake-claude'),
        CODEX_CLI_PATH: join(FIXTURES, 'fake-codex'),
        CLAUDE_CODE_OAUTH_TOKEN: TOKEN,
        CODEX_HOME: codexHome,
        ...env,
      }),
    );
  }

  async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntegrationError);
    return error as IntegrationError;
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  describe('claude-cli', () => {
    it('generates text with usage, finish reason, session id and cost', async () => {
      const result = await generateText({
        model: registry().resolve('claude-cli'),
        prompt: 'hello there friend',
      });
      expect(result.text).toBe(
        'Hello from fake claude (claude-sonnet-4-5-20250929). You said: hello there friend',
      );
      expect(result.finishReason).toBe('stop');
      expect(result.usage.inputTokens).toBe(3 + 100 + 200);
      expect(result.usage.inputTokenDetails).toEqual({
        noCacheTokens: 3,
        cacheReadTokens: 200,
        cacheWriteTokens: 100,
      });
      expect(result.usage.outputTokens).toBe(10);
      expect(result.response.modelId).toBe('claude-sonnet-4-5-20250929');
      const meta = result.providerMetadata?.['claude-cli'];
      expect(meta).toMatchObject({ costUsd: 0.0123, durationMs: 1234, numTurns: 1 });
      expect(meta?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('streams text deltas from stream-json', async () => {
      const result = streamText({
        model: registry().resolve('claude-cli:opus'),
        prompt: 'SAY=one two three four',
      });
      const deltas: string[] = [];
      for await (const delta of result.textStream) deltas.push(delta);
      expect(deltas.length).toBeGreaterThan(2);
      expect(deltas.join('')).toBe('one two three four');
      expect(await result.finishReason).toBe('stop');
      expect((await result.usage).outputTokens).toBe(4);
      expect((await result.response).modelId).toBe('claude-opus-4-1-20250805');
    });

    it('sends the prompt on stdin and the system prompt in a file, never as arguments', async () => {
      const model = registry().resolve('claude-cli:sonnet');
      const args = JSON.parse(
        (await generateText({ model, prompt: 'ECHO_ARGS secret plan' })).text,
      ) as string[];
      expect(args).toEqual(['--print', '--output-format', 'json', '--model', 'sonnet']);
      const echoed = await generateText({
        model,
        instructions: 'You are terse.',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'ECHO_PROMPT' },
        ],
      });
      const { prompt, system } = JSON.parse(echoed.text) as { prompt: string; system: string };
      expect(system).toBe('You are terse.');
      expect(prompt).toContain(
        '<user>\nhi\n</user>\n<assistant>\nhello\n</assistant>\n<user>\nECHO_PROMPT\n</user>',
      );
    });

    it('gives the child a minimal environment: no variable of ours besides what it needs', async () => {
      process.env.SEED_TEST_SECRET = 'must-not-leak';
      try {
        const keys = JSON.parse(
          (
            await generateText({
              model: registry().resolve('claude-cli'),
              prompt: 'ECHO_ENV',
              maxOutputTokens: 50,
            })
          ).text,
        ) as string[];
        const allowed = [
          'PATH',
          'HOME',
          'CLAUDE_CODE_OAUTH_TOKEN',
          'CLAUDE_CODE_MAX_OUTPUT_TOKENS',
          'DISABLE_AUTOUPDATER',
          'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
        ];
        expect(keys.filter((k) => !allowed.includes(k))).toEqual([]);
        expect(keys).toContain('CLAUDE_CODE_OAUTH_TOKEN');
        expect(keys).toContain('CLAUDE_CODE_MAX_OUTPUT_TOKENS');
      } finally {
        delete process.env.SEED_TEST_SECRET;
      }
    });

    it('answers structured output requests (JSON schema in the prompt, fences removed)', async () => {
      const schema = z.object({ name: z.string(), age: z.number() });
      const generated = await generateText({
        model: registry().resolve('claude-cli'),
        output: Output.object({ schema }),
        prompt: 'Invent a person.',
      });
      expect(generated.output).toEqual({ name: 'Ada', age: 36 });
      const streamed = streamText({
        model: registry().resolve('claude-cli'),
        output: Output.object({ schema }),
        prompt: 'Invent a person.',
      });
      await streamed.consumeStream();
      expect(await streamed.output).toEqual({ name: 'Ada', age: 36 });
    });

    it('missing credentials: missing_api_key; a CLAUDE_HOME login works in either layout', async () => {
      const empty = mkdtempSync(join(dir, 'claude-empty-'));
      let error: unknown;
      try {
        registry({ CLAUDE_CODE_OAUTH_TOKEN: '', CLAUDE_HOME: empty }).resolve('claude-cli');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IntegrationError);
      expect((error as IntegrationError).code).toBe('missing_api_key');

      // a home holding .claude/ becomes the child's HOME
      const home = mkdtempSync(join(dir, 'claude-home-'));
      mkdirSync(join(home, '.claude'));
      writeFileSync(join(home, '.claude', '.credentials.json'), '{}');
      const viaHome = registry({ CLAUDE_CODE_OAUTH_TOKEN: '', CLAUDE_HOME: home }).resolve('claude-cli');
      expect((await generateText({ model: viaHome, prompt: 'hi' })).text).toContain('Hello from fake claude');
      const keys = JSON.parse((await generateText({ model: viaHome, prompt: 'ECHO_ENV' })).text) as string[];
      expect(keys).not.toContain('CLAUDE_CODE_OAUTH_TOKEN');

      // the .claude directory itself becomes CLAUDE_CONFIG_DIR
      const configDir = mkdtempSync(join(dir, 'claude-config-'));
      writeFileSync(join(configDir, '.credentials.json'), '{}');
      const viaConfig = registry({ CLAUDE_CODE_OAUTH_TOKEN: '', CLAUDE_HOME: configDir }).resolve(
        'claude-cli',
      );
      const configKeys = JSON.parse(
        (await generateText({ model: viaConfig, prompt: 'ECHO_ENV' })).text,
      ) as string[];
      expect(configKeys).toContain('CLAUDE_CONFIG_DIR');
    });

    it('a refused login is missing_api_key; a missing binary cli_not_found', async () => {
      const refused = await failure(
        generateText({ model: registry().resolve('claude-cli'), prompt: 'REFUSE' }),
      );
      expect(refused.code).toBe('missing_api_key');
      expect(refused.message).toContain('Invalid API key');
      const missing = await failure(
        generateText({
          model: registry({ CLAUDE_CLI_PATH: join(dir, 'no-such-claude') }).resolve('claude-cli'),
          prompt: 'hi',
        }),
      );
      expect(missing.code).toBe('cli_not_found');
    });

    it('a non-zero exit is cli_failed with the end of stderr, never a secret', async () => {
      const failed = await failure(generateText({ model: registry().resolve('claude-cli'), prompt: 'FAIL' }));
      expect(failed.code).toBe('cli_failed');
      expect(failed.message).toContain('exited with code 1: boom: the fake claude failed on purpose');
      const leaked = await failure(generateText({ model: registry().resolve('claude-cli'), prompt: 'LEAK' }));
      expect(leaked.code).toBe('cli_failed');
      expect(leaked.message).not.toContain(TOKEN);
      expect(leaked.message).toContain('[redacted]');
      const streamed = streamText({
        model: registry().resolve('claude-cli'),
        prompt: 'FAIL',
        onError: () => {},
      });
      const errors: unknown[] = [];
      for await (const part of streamed.fullStream) if (part.type === 'error') errors.push(part.error);
      expect((errors[0] as IntegrationError).code).toBe('cli_failed');
    });

    it('output that is not the JSON result is malformed_output', async () => {
      const error = await failure(
        generateText({ model: registry().resolve('claude-cli'), prompt: 'GARBAGE' }),
      );
      expect(error.code).toBe('malformed_output');
    });

    it('past CLI_TIMEOUT the child is killed (SIGTERM, then SIGKILL) and the call is cli_timeout', async () => {
      const models = registry({ CLI_TIMEOUT: '400' });
      const pidFile = join(dir, 'slow.pid');
      const error = await failure(
        generateText({ model: models.resolve('claude-cli'), prompt: `SLOW PIDFILE=${pidFile}` }),
      );
      expect(error.code).toBe('cli_timeout');
      expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);

      const stubborn = join(dir, 'stubborn.pid');
      const killed = await failure(
        generateText({
          model: models.resolve('claude-cli'),
          prompt: `SLOW IGNORE_SIGTERM PIDFILE=${stubborn}`,
        }),
      );
      expect(killed.code).toBe('cli_timeout');
      expect(alive(Number(readFileSync(stubborn, 'utf8')))).toBe(false);
    });

    it('an aborted call stops the child', async () => {
      const pidFile = join(dir, 'aborted.pid');
      const abort = new AbortController();
      const call = generateText({
        model: registry().resolve('claude-cli'),
        prompt: `SLOW PIDFILE=${pidFile}`,
        abortSignal: abort.signal,
      });
      for (let i = 0; i < 100 && !existsSyncSafe(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
      abort.abort();
      await expect(call).rejects.toBeDefined();
      expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    });
  });

  describe('codex-cli', () => {
    it('generates text with reasoning, usage and the thread id', async () => {
      const result = await generateText({ model: registry().resolve('codex-cli'), prompt: 'hello codex' });
      expect(result.text).toBe('Hello from fake codex. You said: hello codex');
      expect(result.reasoningText).toBe('**Answering the user**');
      expect(result.usage.inputTokens).toBe(1002);
      expect(result.usage.inputTokenDetails.cacheReadTokens).toBe(1000);
      expect(result.usage.outputTokens).toBe(8);
      expect(result.providerMetadata?.['codex-cli']?.threadId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('runs codex exec --json with the sandbox, the model and the prompt on stdin', async () => {
      const args = JSON.parse(
        (await generateText({ model: registry().resolve('codex-cli:gpt-5-codex'), prompt: 'ECHO_ARGS' }))
          .text,
      ) as string[];
      expect(args).toEqual([
        'exec',
        '--json',
        '--skip-git-repo-check',
        '--sandbox',
        'read-only',
        '--model',
        'gpt-5-codex',
        '-',
      ]);
      const keys = JSON.parse(
        (await generateText({ model: registry().resolve('codex-cli'), prompt: 'ECHO_ENV' })).text,
      ) as string[];
      expect(keys.sort()).toEqual(['CODEX_HOME', 'HOME', 'NO_COLOR', 'PATH']);
    });

    it('streams, and answers structured output requests', async () => {
      const streamed = streamText({ model: registry().resolve('codex-cli'), prompt: 'SAY=streamed answer' });
      expect(await streamed.text).toBe('streamed answer');
      const generated = await generateText({
        model: registry().resolve('codex-cli'),
        output: Output.object({ schema: z.object({ name: z.string(), age: z.number() }) }),
        prompt: 'Invent a person.',
      });
      expect(generated.output).toEqual({ name: 'Ada', age: 36 });
    });

    it('maps failures: turn.failed, refused login, crash, no login', async () => {
      const failed = await failure(generateText({ model: registry().resolve('codex-cli'), prompt: 'FAIL' }));
      expect(failed.code).toBe('cli_failed');
      expect(failed.message).toContain('the fake codex failed');
      const refused = await failure(
        generateText({ model: registry().resolve('codex-cli'), prompt: 'UNAUTHORIZED' }),
      );
      expect(refused.code).toBe('missing_api_key');
      const crashed = await failure(
        generateText({ model: registry().resolve('codex-cli'), prompt: 'CRASH' }),
      );
      expect(crashed.code).toBe('cli_failed');
      expect(crashed.message).toContain('exited with code 3: thread main panicked');
      expect(() => registry({ CODEX_HOME: join(dir, 'no-codex-home') }).resolve('codex-cli')).toThrow(
        expect.objectContaining({ code: 'missing_api_key' }),
      );
    });
  });
});

function existsSyncSafe(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').length > 0;
  } catch {
    return false;
  }
}
