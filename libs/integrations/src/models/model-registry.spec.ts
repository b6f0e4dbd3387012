import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { loadConfig } from '@seed/config';
import { MockLanguageModelV4 } from 'ai/test';
import { ChatCompletionsService } from './chat-completions.service';
import { redact } from './cli-process';
import { extractJson, renderCliPrompt } from './cli-prompt';
import { IntegrationError } from './integration-error';
import { ModelRegistry, parseModelSpec } from './model-registry';

const usage = {
  inputTokens: { total: 7, noCache: 7, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 3, text: 3, reasoning: undefined },
};

function mockModel(text = 'mocked answer') {
  return new MockLanguageModelV4({
    doGenerate: async () => ({
      content: [{ type: 'text', text }],
      finishReason: { unified: 'length', raw: 'max_tokens' },
      usage,
      warnings: [],
    }),
    doStream: async () => ({
      stream: new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: 't' });
          for (const delta of ['mocked ', 'answer'])
            controller.enqueue({ type: 'text-delta', id: 't', delta });
          controller.enqueue({ type: 'text-end', id: 't' });
          controller.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'end_turn' }, usage });
          controller.close();
        },
      }),
    }),
  });
}

describe('parseModelSpec', () => {
  it('splits provider and model on the first colon', () => {
    expect(parseModelSpec('claude-cli')).toEqual({ provider: 'claude-cli' });
    expect(parseModelSpec(' Claude-CLI:sonnet ')).toEqual({ provider: 'claude-cli', model: 'sonnet' });
    expect(parseModelSpec('openai-compatible:llama3:8b')).toEqual({
      provider: 'openai-compatible',
      model: 'llama3:8b',
    });
    expect(parseModelSpec('codex-cli:')).toEqual({ provider: 'codex-cli' });
  });

  it('refuses what could not be a provider, and model names shaped like flags', () => {
    expect(() => parseModelSpec('')).toThrow(expect.objectContaining({ code: 'unknown_provider' }));
    expect(() => parseModelSpec('no such:x')).toThrow(expect.objectContaining({ code: 'unknown_provider' }));
    expect(() => parseModelSpec('claude-cli:--dangerously-skip-permissions')).toThrow(
      expect.objectContaining({ code: 'invalid_model' }),
    );
    expect(() => parseModelSpec('claude-cli:so net')).toThrow(IntegrationError);
  });
});

describe('renderCliPrompt and extractJson', () => {
  it('passes a lone user message as it is and warns about settings the CLI ignores', () => {
    const rendered = renderCliPrompt(
      {
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'hello' }] },
        ],
        temperature: 0.2,
        maxOutputTokens: 10,
      },
      ['maxOutputTokens'],
    );
    expect(rendered).toEqual({
      system: 'Be brief.',
      text: 'hello',
      json: false,
      warnings: [{ type: 'unsupported', feature: 'temperature' }],
    });
  });

  it('asks for JSON with the schema when a JSON response format is requested', () => {
    const rendered = renderCliPrompt(
      {
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'a person' }] }],
        responseFormat: {
          type: 'json',
          schema: { type: 'object', properties: { name: { type: 'string' } } },
        },
      },
      [],
    );
    expect(rendered.json).toBe(true);
    expect(rendered.text).toContain('Answer with JSON only');
    expect(rendered.text).toContain('{"type":"object","properties":{"name":{"type":"string"}}}');
  });

  it('finds the JSON in fenced or chatty answers', () => {
    expect(extractJson('```json\n{"a": 1}\n```')).toBe('{"a": 1}');
    expect(extractJson('Here it is: {"a": [1, 2]} enjoy')).toBe('{"a": [1, 2]}');
    expect(extractJson(' [1] ')).toBe('[1]');
    expect(extractJson('no json')).toBe('no json');
  });

  it('redacts secrets and token-shaped strings', () => {
    expect(redact('token abc-secret-123 and sk-ant-oat01-xyzxyzxyzxyz', ['abc-secret-123'])).toBe(
      'token [redacted] and [redacted]',
    );
    expect(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x', [])).toBe(
      'Authorization: Bearer [redacted]',
    );
  });
});

describe('ModelRegistry', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'seed-registry-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const registry = (env: Record<string, string> = {}) =>
    new ModelRegistry(loadConfig({ HOME: join(dir, 'nobody'), CODEX_HOME: join(dir, 'no-codex'), ...env }));

  it('resolves specs to models, AGENT_MODEL by default', () => {
    const models = registry({ CLAUDE_CODE_OAUTH_TOKEN: 'token-0123456789', AGENT_MODEL: 'claude-cli:opus' });
    expect(models.resolve()).toMatchObject({
      provider: 'claude-cli',
      modelId: 'opus',
      specificationVersion: 'v4',
    });
    expect(models.resolve('claude-cli')).toMatchObject({ modelId: 'sonnet' });
    expect(registry({ ANTHROPIC_API_KEY: 'sk-ant-test' }).resolve('anthropic:claude-haiku-4-5').modelId).toBe(
      'claude-haiku-4-5',
    );
    expect(
      registry({ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:1/v1' }).resolve('openai-compatible:llama3:8b')
        .modelId,
    ).toBe('llama3:8b');
  });

  it('throws typed errors: unknown provider, missing credentials, missing model name', () => {
    const models = registry();
    expect(() => models.resolve('gemini:pro')).toThrow(expect.objectContaining({ code: 'unknown_provider' }));
    for (const spec of ['claude-cli', 'codex-cli', 'anthropic', 'openai-compatible:x']) {
      expect(() => models.resolve(spec)).toThrow(expect.objectContaining({ code: 'missing_api_key' }));
    }
    expect(() =>
      registry({ OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:1/v1' }).resolve('openai-compatible'),
    ).toThrow(expect.objectContaining({ code: 'invalid_model' }));
  });

  it('lists AGENT_MODEL first, then the providers usable as configured, then registered ones', () => {
    const codexHome = join(dir, 'codex');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(join(codexHome, 'auth.json'), '{}');
    const models = registry({
      AGENT_MODEL: 'openai-compatible:qwen',
      OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:1/v1',
      CODEX_HOME: codexHome,
      ANTHROPIC_API_KEY: 'sk-ant-test',
    });
    models.register('mock', () => mockModel());
    expect(models.list()).toEqual([
      { id: 'openai-compatible:qwen', provider: 'openai-compatible', model: 'qwen' },
      { id: 'codex-cli', provider: 'codex-cli' },
      { id: 'anthropic:claude-sonnet-4-5', provider: 'anthropic', model: 'claude-sonnet-4-5' },
      { id: 'mock', provider: 'mock' },
    ]);
    expect(models.resolve('mock:anything').provider).toBe('mock-provider');
  });
});

describe('ChatCompletionsService (mock model)', () => {
  function service() {
    const config = loadConfig({ AGENT_MODEL: 'mock' });
    const models = new ModelRegistry(config);
    models.register('mock', () => mockModel());
    return new ChatCompletionsService(models, config);
  }

  it('answers a completion with the model usage and finish reason, OpenAI-shaped', async () => {
    const completion = await service().complete({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'mock',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'mocked answer' }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
  });

  it('streams chunks: role first, deltas, the finish reason, then usage when asked', async () => {
    const chunks = [];
    const stream = await service().stream({
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'mocked ' },
      { content: 'answer' },
      {},
      null,
    ]);
    expect(chunks[3].choices[0].finish_reason).toBe('stop');
    expect(chunks[4].usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });

  it('lists the configured models', () => {
    expect(service().listModels()).toMatchObject({
      object: 'list',
      data: [{ id: 'mock', object: 'model', owned_by: 'mock' }],
    });
  });
});
