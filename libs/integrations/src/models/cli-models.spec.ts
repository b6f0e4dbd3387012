import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '@seed/config';
import { generateText, Output, streamText } from 'ai';
import { z } from 'zod';
import { IntegrationError } from './integration-error';
import { ModelRegistry } from './model-registry';

/** The fake `claude` and `codex` executables speak the real CLIs' output formats (see their headers). */
const FIXTURES = resolve(__dirname, '../../../../apps/seed-agent/test/fixtures');
const TOKEN = 'sk-ant-oat01-fake-token-for-tests-0123456789';
/** The service's own secrets, in its config: none may reach a CLI child. */
const SERVICE_SECRETS = {
  API_TOKENS: 'ops:admin:s3cret-s3cret-s3cret',
  METRICS_TOKEN: 'metrics-s3cret',
  DATABASE_URL: 'postgres://seed:pw@127.0.0.1:1/seed',
  REDIS_URL: 'redis://:pw@127.0.0.1:1',
  ANTHROPIC_API_KEY: 'sk-ant-api03-not-for-the-cli',
};

interface Dirs {
  home: string;
  config: string;
  tmp: string;
  cwd: string;
  configFiles: string[];
}

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
      expect(args).toEqual([
        '--print',
        '--tools',
        '',
        '--strict-mcp-config',
        '--setting-sources',
        '',
        '--output-format',
        'json',
        '--model',
        'sonnet',
      ]);
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

    it('gives the child a minimal environment: its own credential, no variable or secret of ours', async () => {
      process.env.SEED_TEST_SECRET = 'must-not-leak';
      try {
        const keys = JSON.parse(
          (
            await generateText({
              model: registry(SERVICE_SECRETS).resolve('claude-cli'),
              prompt: 'ECHO_ENV',
              maxOutputTokens: 50,
            })
          ).text,
        ) as string[];
        const allowed = [
          'PATH',
          'HOME',
          'TMPDIR',
          'CLAUDE_CONFIG_DIR',
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

    it('refuses (the fake, like a CLI with tools) to run without --tools "", --strict-mcp-config, --setting-sources ""', () => {
      const run = (...args: string[]) =>
        spawnSync(join(FIXTURES, 'fake-claude'), ['--print', ...args], {
          input: 'hi',
          encoding: 'utf8',
          env: { PATH: process.env.PATH, CLAUDE_CODE_OAUTH_TOKEN: TOKEN },
        });
      const all = ['--tools', '', '--strict-mcp-config', '--setting-sources', ''];
      expect(run(...all).status).toBe(0);
      for (const [flag, without] of [
        ['--tools', ['--strict-mcp-config', '--setting-sources', '']],
        ['--strict-mcp-config', ['--tools', '', '--setting-sources', '']],
        ['--setting-sources', ['--tools', '', '--strict-mcp-config']],
      ] as const) {
        const refused = run(...without);
        expect(refused.status).toBe(2);
        expect(refused.stderr).toContain(`no ${flag}`);
      }
      expect(run('--tools', 'Read', '--strict-mcp-config', '--setting-sources', '').stderr).toContain(
        'no --tools ""',
      );
    });

    it('runs each call in a fresh HOME and config directory, removed afterwards', async () => {
      const first = JSON.parse(
        (await generateText({ model: registry().resolve('claude-cli'), prompt: 'ECHO_DIRS' })).text,
      ) as Dirs;
      const second = JSON.parse(
        (await generateText({ model: registry().resolve('claude-cli'), prompt: 'ECHO_DIRS' })).text,
      ) as Dirs;
      expect(first.home).not.toBe(second.home);
      expect(first.config).toBe(join(first.home, '.claude'));
      expect(first.configFiles).toEqual([]);
      expect(first.tmp.startsWith(dirname(first.home))).toBe(true);
      expect(first.cwd).not.toBe(first.home);
      for (const dirs of [first, second]) expect(existsSync(dirname(dirs.home))).toBe(false);
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
      writeFileSync(join(home, '.claude', 'settings.json'), '{"hooks": {}}');
      const viaHome = registry({ CLAUDE_CODE_OAUTH_TOKEN: '', CLAUDE_HOME: home }).resolve('claude-cli');
      expect((await generateText({ model: viaHome, prompt: 'hi' })).text).toContain('Hello from fake claude');
      const keys = JSON.parse((await generateText({ model: viaHome, prompt: 'ECHO_ENV' })).text) as string[];
      expect(keys).not.toContain('CLAUDE_CODE_OAUTH_TOKEN');
      // only the login is copied into the call's own config directory, not the settings beside it
      const dirs = JSON.parse((await generateText({ model: viaHome, prompt: 'ECHO_DIRS' })).text) as Dirs;
      expect(dirs.configFiles).toEqual(['.credentials.json']);
      expect(dirs.home.startsWith(home)).toBe(false);

      // the .claude directory itself; a token the CLI refreshed in its copy is written back
      const configDir = mkdtempSync(join(dir, 'claude-config-'));
      writeFileSync(join(configDir, '.credentials.json'), '{}');
      const viaConfig = registry({ CLAUDE_CODE_OAUTH_TOKEN: '', CLAUDE_HOME: configDir }).resolve(
        'claude-cli',
      );
      await generateText({ model: viaConfig, prompt: 'REFRESH' });
      expect(readFileSync(join(configDir, '.credentials.json'), 'utf8')).toBe('{"refreshed":true}');
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

  describe('the bound on CLI processes (CLI_MAX_CONCURRENT, CLI_QUEUE_LIMIT)', () => {
    /** Polls a condition with a bound, so a failure names what never happened instead of timing out. */
    async function until(what: string, condition: () => boolean): Promise<void> {
      for (let i = 0; i < 500; i++) {
        if (condition()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`never happened: ${what}`);
    }
    const lines = (log: string) =>
      existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    /** The most processes alive at once, from the start/stop lines they wrote. */
    const mostAtOnce = (log: string) =>
      lines(log).reduce(
        ({ now, most }, line) => {
          const next = now + (line.startsWith('start') ? 1 : -1);
          return { now: next, most: Math.max(most, next) };
        },
        { now: 0, most: 0 },
      ).most;

    it('runs at most CLI_MAX_CONCURRENT processes; the other calls wait their turn', async () => {
      const models = registry({ CLI_MAX_CONCURRENT: '2' });
      const log = join(dir, 'bound.log');
      const release = join(dir, 'bound.release');
      const calls = ['claude-cli', 'codex-cli', 'claude-cli', 'codex-cli', 'claude-cli', 'claude-cli'].map(
        (spec, i) =>
          generateText({
            model: models.resolve(spec),
            prompt: `RECORD=${log} HOLD=${release} SAY=answer ${i}`,
          }),
      );
      await until('2 processes started and 4 calls queued', () => {
        return lines(log).length === 2 && models.cliSlots.queued === 4;
      });
      expect(models.cliSlots.running).toBe(2);
      writeFileSync(release, '');
      const answers = await Promise.all(calls);
      expect(answers.map((a) => a.text)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `answer ${i}`));
      expect(lines(log)).toHaveLength(12);
      expect(mostAtOnce(log)).toBe(2);
      expect([models.cliSlots.running, models.cliSlots.queued]).toEqual([0, 0]);
    });

    it('beyond CLI_QUEUE_LIMIT waiting calls, a call fails at once with model_busy', async () => {
      const models = registry({ CLI_MAX_CONCURRENT: '1', CLI_QUEUE_LIMIT: '1' });
      const log = join(dir, 'busy.log');
      const release = join(dir, 'busy.release');
      const held = (i: number) =>
        generateText({
          model: models.resolve('claude-cli'),
          prompt: `RECORD=${log} HOLD=${release} SAY=${i}`,
        });
      const first = held(1);
      await until('the first process started', () => lines(log).length === 1);
      const second = held(2);
      await until('the second call queued', () => models.cliSlots.queued === 1);
      const busy = await failure(held(3));
      expect(busy.code).toBe('model_busy');
      expect(busy.message).toContain('CLI_MAX_CONCURRENT');
      writeFileSync(release, '');
      expect([(await first).text, (await second).text]).toEqual(['1', '2']);
      expect(mostAtOnce(log)).toBe(1);
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
        '-c',
        'approval_policy="never"',
        '--model',
        'gpt-5-codex',
        '-',
      ]);
      const keys = JSON.parse(
        (await generateText({ model: registry(SERVICE_SECRETS).resolve('codex-cli'), prompt: 'ECHO_ENV' }))
          .text,
      ) as string[];
      expect(keys.sort()).toEqual(['CODEX_HOME', 'HOME', 'NO_COLOR', 'PATH', 'TMPDIR']);
      // its CODEX_HOME is fresh, with a copy of the login and nothing else (no config.toml, no .env)
      writeFileSync(join(codexHome, 'config.toml'), '[mcp_servers.x]\ncommand = "x"\n');
      const dirs = JSON.parse(
        (await generateText({ model: registry().resolve('codex-cli'), prompt: 'ECHO_DIRS' })).text,
      ) as { home: string; codex: string; codexFiles: string[] };
      expect(dirs.codex).toBe(join(dirs.home, '.codex'));
      expect(dirs.codexFiles).toEqual(['auth.json']);
      expect(existsSync(dirs.home)).toBe(false);
    });

    it('refuses (the fake) to run outside the read-only sandbox or with approvals', () => {
      const run = (...args: string[]) =>
        spawnSync(join(FIXTURES, 'fake-codex'), ['exec', '--json', ...args, '-'], {
          input: 'hi',
          encoding: 'utf8',
          env: { PATH: process.env.PATH, CODEX_HOME: codexHome },
        });
      expect(run('--sandbox', 'read-only', '-c', 'approval_policy="never"').status).toBe(0);
      expect(run('-c', 'approval_policy="never"').stderr).toContain('no --sandbox read-only');
      expect(run('--sandbox', 'workspace-write', '-c', 'approval_policy="never"').status).toBe(2);
      expect(run('--sandbox', 'read-only').stderr).toContain('no -c approval_policy="never"');
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
