import type { LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { ModelRegistry } from '@seed/integrations';
import { MockLanguageModelV4 } from 'ai/test';
import { settledVersion, startTestApp, TestApp, TOKENS } from '../../seed-agent/test/harness';
import { runCli } from './run-cli';

const ADDER_V1 = 'export default (input: { a: number; b: number }) => ({ sum: input.a - input.b });';
const ADDER_BROKEN = 'export default (input: { a: number; b: number }) => {\n  return { sum: input.a + ;\n};';
const ADDER_RIGHT = 'export default (input: { a: number; b: number }) => ({ sum: input.a + input.b });';

function answer(source: string): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: JSON.stringify({ source, rationale: 'proposal' }) }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 10, text: 10, reasoning: 0 },
    },
    warnings: [],
  };
}

// Each step spawns the CLI as its own Node process: a loaded 2-core machine needs more than a minute.
jest.setTimeout(180_000);

describe('seed-agent improve --watch (real app, mock model)', () => {
  let t: TestApp;
  const answers: LanguageModelV4GenerateResult[] = [];
  const model = new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'mock',
    doGenerate: async () => {
      const next = answers.shift();
      if (!next) throw new Error('no scripted answer left');
      return next;
    },
  });

  beforeAll(async () => {
    t = await startTestApp({ AGENT_MODEL: 'mock', AGENT_MAX_ATTEMPTS: '3' });
    t.app.get(ModelRegistry).register('mock', () => model);
  });
  afterAll(() => t?.close());

  async function createModule(name: string) {
    const created = await t.request('POST', '/modules', { name, source: ADDER_V1, tests: [] });
    expect(created.status).toBe(201);
    await settledVersion(t, name, created.body.versionId);
  }

  const improve = (module: string, extra: string[] = []) =>
    runCli(['improve', module, '--goal', 'return the sum of a and b', '--tests', '-', '--watch', ...extra], {
      env: { SEED_AGENT_URL: t.url, SEED_AGENT_TOKEN: TOKENS.agent },
      input: JSON.stringify([{ name: 'adds', input: { a: 2, b: 3 }, expect: { sum: 5 } }]),
    });

  it('streams the rounds and exits 0 once the run improves the module', async () => {
    await createModule('adder');
    answers.push(answer(ADDER_BROKEN), answer(ADDER_RIGHT));
    const res = await improve('adder');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/started run \S+/);
    expect(res.stderr).toMatch(/round 1: 1 candidate\(s\), 1 evaluated, 0 ready/);
    expect(res.stderr).toMatch(/round 2: 1 candidate\(s\), 1 evaluated, 1 ready, activated/);
    expect(res.stdout).toMatch(/^adder: solved \(activated .+\) after 2 round\(s\)/m);
  });

  it('exits 1 when the rounds run out, and --json prints the run', async () => {
    await createModule('stuck');
    answers.push(answer(ADDER_BROKEN));
    const res = await improve('stuck', ['--max-attempts', '1', '--json']);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({
      module: 'stuck',
      state: 'finished',
      stopReason: 'rounds',
    });
  });

  it('takes the run options', async () => {
    await createModule('runner');
    answers.push(answer(ADDER_RIGHT));
    const res = await improve('runner', ['--rounds', '1']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/started run \S+/);
    expect(res.stderr).toMatch(/round 1: 1 candidate\(s\)/);
    expect(res.stdout).toMatch(/^runner: solved \(activated .+\) after 1 round\(s\)/m);
    const json = await improve('runner', ['--rounds', '1', '--json']);
    // the goal is already met: the run stops without a candidate, but its record parses
    expect(JSON.parse(json.stdout)).toMatchObject({ module: 'runner', state: 'finished' });
  });
});
