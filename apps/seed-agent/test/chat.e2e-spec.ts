import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeCliLanguageModel, ModelRegistry } from '@seed/integrations';
import { eventually, startTestApp, TestApp, TOKENS } from './harness';

const FIXTURES = join(__dirname, 'fixtures');

describe('/v1/chat/completions and /v1/models (fake claude and codex CLIs)', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seed-chat-'));
    const codexHome = join(dir, 'codex');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'auth.json'), '{}');
    t = await startTestApp({
      PATH: process.env.PATH ?? '',
      HOME: dir,
      CLAUDE_CLI_PATH: join(FIXTURES, 'fake-claude'),
      CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-e2e-token-0123456789',
      CODEX_CLI_PATH: join(FIXTURES, 'fake-codex'),
      CODEX_HOME: codexHome,
      METRICS_TOKEN: 'metrics-e2e-secret',
      CLI_MAX_CONCURRENT: '2',
    });
    // A claude whose CLI_TIMEOUT is short, to see a timeout without slowing every other call.
    const integrations = { ...t.config.integrations, cliTimeoutMs: 300 };
    const models = t.app.get(ModelRegistry);
    models.register(
      'impatient-claude',
      (model) => new ClaudeCliLanguageModel(model ?? 'sonnet', integrations, models.cliSlots),
    );
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chat = (body: Record<string, unknown>, role: 'admin' | 'agent' | 'viewer' | null = 'agent') =>
    t.request('POST', '/v1/chat/completions', body, { role });

  it('answers with AGENT_MODEL (claude-cli:sonnet) when no model is named, with real token counts', async () => {
    const res = await chat({
      messages: [
        { role: 'system', content: 'You are a test.' },
        { role: 'user', content: 'hello over http' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: 'claude-cli:sonnet',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello from fake claude (claude-sonnet-4-5-20250929). You said: hello over http',
          },
          finish_reason: 'stop',
        },
      ],
      // the fake counts words: 3 prompt words + its 300 cached tokens; 10 words answered
      usage: { prompt_tokens: 303, completion_tokens: 10, total_tokens: 313 },
    });
    expect(res.body.id).toMatch(/^chatcmpl-/);
    expect(typeof res.body.created).toBe('number');
  });

  it('routes by model: codex-cli:<model>, and structured output through response_format', async () => {
    const codex = await chat({
      model: 'codex-cli:gpt-5-codex',
      messages: [{ role: 'user', content: 'hi codex' }],
    });
    expect(codex.status).toBe(200);
    expect(codex.body.model).toBe('codex-cli:gpt-5-codex');
    expect(codex.body.choices[0].message.content).toBe('Hello from fake codex. You said: hi codex');
    expect(codex.body.usage).toEqual({ prompt_tokens: 1002, completion_tokens: 8, total_tokens: 1010 });

    const json = await chat({
      model: 'claude-cli',
      messages: [{ role: 'user', content: 'Invent a person.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } } },
        },
      },
    });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.choices[0].message.content)).toEqual({ name: 'Ada', age: 36 });
  });

  it('streams chat.completion.chunk events ending with [DONE]', async () => {
    const response = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-cli:sonnet',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'SAY=streamed over server-sent events' }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter(Boolean)
      .map((event) => event.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    for (const chunk of chunks)
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'claude-cli:sonnet' });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('streamed over server-sent events');
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThan(2);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4 } });
  });

  it('answers failures in OpenAI error shape with their statuses', async () => {
    const unknown = await chat({ model: 'gemini:pro', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      error: {
        message: expect.stringContaining('gemini'),
        type: 'invalid_request_error',
        code: 'unknown_provider',
      },
    });

    const noKey = await chat({
      model: 'anthropic:claude-haiku-4-5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect([noKey.status, noKey.body.error.code, noKey.body.error.type]).toEqual([
      503,
      'missing_api_key',
      'api_error',
    ]);

    const failed = await chat({ messages: [{ role: 'user', content: 'FAIL' }] });
    expect([failed.status, failed.body.error.code]).toEqual([502, 'cli_failed']);
    expect(failed.body.error.message).toContain('boom');

    const slow = await chat({ model: 'impatient-claude', messages: [{ role: 'user', content: 'SLOW' }] });
    expect([slow.status, slow.body.error.code]).toEqual([504, 'cli_timeout']);

    // A stream that fails before any text is still an HTTP error, not a broken stream.
    const streamFailed = await chat({ stream: true, messages: [{ role: 'user', content: 'FAIL' }] });
    expect([streamFailed.status, streamFailed.body.error.code]).toEqual([502, 'cli_failed']);

    const invalid = await chat({ messages: [] });
    expect([invalid.status, invalid.body.error.code, invalid.body.error.type]).toEqual([
      400,
      'validation_failed',
      'invalid_request_error',
    ]);
  });

  it('a client that goes away stops the CLI', async () => {
    const pidFile = join(dir, 'gone.pid');
    const abort = new AbortController();
    const request = fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        stream: true,
        messages: [{ role: 'user', content: `SLOW PIDFILE=${pidFile}` }],
      }),
      signal: abort.signal,
    }).catch(() => undefined);
    const pid = await eventually(async () =>
      existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined,
    );
    abort.abort();
    await request;
    await eventually(async () => (alive(pid) ? undefined : true), 5000, 'the CLI to stop');
  });

  it("gives the CLI only its own credential: none of the service's secrets", async () => {
    for (const model of ['claude-cli', 'codex-cli']) {
      const res = await chat({ model, messages: [{ role: 'user', content: 'ECHO_ENV' }] });
      expect(res.status).toBe(200);
      const keys = JSON.parse(res.body.choices[0].message.content) as string[];
      for (const secret of ['API_TOKENS', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL'])
        expect(keys).not.toContain(secret);
      expect(keys).toContain('PATH');
      expect(keys.includes('CLAUDE_CODE_OAUTH_TOKEN')).toBe(model === 'claude-cli');
    }
  });

  it('runs at most CLI_MAX_CONCURRENT (2) CLIs for many parallel chats', async () => {
    const log = join(dir, 'chats.log');
    const release = join(dir, 'chats.release');
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    const chats = Array.from({ length: 8 }, (_, i) =>
      chat({ messages: [{ role: 'user', content: `RECORD=${log} HOLD=${release} SAY=chat ${i}` }] }),
    );
    const models = t.app.get(ModelRegistry);
    await eventually(
      async () => (lines().length === 2 && models.cliSlots.queued === 6 ? true : undefined),
      5000,
      '2 CLIs running and 6 chats waiting',
    );
    writeFileSync(release, '');
    const answers = await Promise.all(chats);
    expect(answers.map((a) => [a.status, a.body.choices[0].message.content])).toEqual(
      Array.from({ length: 8 }, (_, i) => [200, `chat ${i}`]),
    );
    let running = 0;
    let most = 0;
    for (const line of lines()) {
      running += line.startsWith('start') ? 1 : -1;
      most = Math.max(most, running);
    }
    expect([lines().length, most]).toEqual([16, 2]);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const docs = await t.request('GET', '/docs', undefined, { role: 'viewer' });
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/v1/models']),
    );
  });

  it('needs a token; admin and agent may chat, any role may list the models', async () => {
    const anonymous = await chat({ messages: [{ role: 'user', content: 'hi' }] }, null);
    expect([anonymous.status, anonymous.body.error.code, anonymous.body.error.type]).toEqual([
      401,
      'unauthorized',
      'authentication_error',
    ]);
    const viewer = await chat({ messages: [{ role: 'user', content: 'hi' }] }, 'viewer');
    expect([viewer.status, viewer.body.error.code]).toEqual([403, 'forbidden']);
    expect((await chat({ messages: [{ role: 'user', content: 'hi' }] }, 'admin')).status).toBe(200);

    const models = await t.request('GET', '/v1/models', undefined, { role: 'viewer' });
    expect(models.status).toBe(200);
    expect(models.body.object).toBe('list');
    const ids = models.body.data.map((m: { id: string }) => m.id);
    expect(ids.slice(0, 2)).toEqual(['claude-cli:sonnet', 'codex-cli']);
    expect(ids).toContain('impatient-claude');
    expect(models.body.data[0]).toEqual({
      id: 'claude-cli:sonnet',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'claude-cli',
    });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
