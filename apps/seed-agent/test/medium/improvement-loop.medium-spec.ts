import type { LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { CodeStoreRepository } from '@seed/code-store';
import { SubmissionsService } from '@seed/hot-reload';
import {
  ImprovementLoop,
  IntegrationsModule,
  ModelRegistry,
  type AgentProgress,
  type ImprovementRun,
} from '@seed/integrations';
import { MockLanguageModelV4 } from 'ai/test';
import { startMedium, type MediumContext } from '../support/medium';

const WRONG = 'export default (x: { a: number; b: number }) => ({ sum: x.a - x.b });';
const RIGHT = 'export default (x: { a: number; b: number }) => ({ sum: x.a + x.b });';

function answer(source: string): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: JSON.stringify({ source, rationale: 'a proposal' }) }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 10, text: 10, reasoning: 0 },
    },
    warnings: [],
  };
}

/**
 * ImprovementLoop driven directly (no agent queue, no HTTP): its candidates go through the real pipeline
 * worker, and it waits for each outcome on the job's completion.
 */
describe('ImprovementLoop', () => {
  let m: MediumContext;
  const answers: LanguageModelV4GenerateResult[] = [];

  beforeAll(async () => {
    m = await startMedium([IntegrationsModule], { init: true, env: { AGENT_MODEL: 'mock' } });
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        const next = answers.shift();
        if (!next) throw new Error('no scripted answer left');
        return next;
      },
    });
    m.get(ModelRegistry).register('mock', () => model);
  });
  afterAll(() => m?.close());

  function run(module: string, saved: Partial<AgentProgress> | null = null) {
    const progress: AgentProgress[] = [];
    const ctx: ImprovementRun = {
      id: `agent-medium-${module}`,
      data: {
        module,
        goal: 'add, do not subtract',
        maxAttempts: 3,
        model: 'mock',
        requestedBy: 'admin:test',
        origin: 'request',
      },
      createdAt: Date.now(),
      saved,
      finalAttempt: false,
      signal: new AbortController().signal,
      saveProgress: async (p) => void progress.push(p),
    };
    return { ctx, progress };
  }

  /** A live module whose active version fails the case the goal is about. */
  async function liveModule(name: string) {
    const submissions = m.get(SubmissionsService);
    const { versionId } = await submissions.createModule(name, WRONG, [], {}, 'admin:test', 'admin');
    const first = await submissions.awaitOutcome(versionId, Date.now() + 30_000);
    expect(first?.status).toBe('active');
    const store = m.get(CodeStoreRepository);
    const module = await store.getModule(name);
    await store.addTests(
      module.id,
      [{ name: 'adds', input: { a: 2, b: 3 }, expected: { sum: 5 }, hasExpected: true }],
      'admin:test',
      200,
    );
    return versionId;
  }

  it('feeds a rejected candidate back and stops at the first one that goes live', async () => {
    await liveModule('adder');
    answers.push(answer(WRONG.replace('-', '*')), answer(RIGHT));
    const { ctx, progress } = run('adder');
    const result = await m.get(ImprovementLoop).run(ctx);
    expect(result.outcome).toBe('improved');
    expect(result.attempts.map((a) => a.status)).toEqual(['rejected', 'active']);
    expect(result.attempts[0].feedback.join('\n')).toContain('adds');
    expect((await m.get(CodeStoreRepository).getModule('adder')).activeVersionId).toBe(result.versionId);
    expect(progress.at(-1)).toMatchObject({ stage: 'done', percent: 100 });
  });

  it('a retried run resumes after its last recorded attempt without asking the model again', async () => {
    await liveModule('resumed');
    // The earlier delivery submitted attempt 1 and died before recording its verdict.
    const { versionId } = await m.get(SubmissionsService).submit('resumed', {
      source: RIGHT,
      author: 'agent:mock',
      authorRole: 'agent',
      activate: true,
      dryRun: false,
      idempotencyKey: 'agent-medium-resumed:1',
    });
    const saved: Partial<AgentProgress> = {
      attempts: [{ attempt: 1, versionId, seq: 2, status: 'pending', feedback: [], costUsd: 0 }],
      costUsd: 0,
    };
    const result = await m.get(ImprovementLoop).run(run('resumed', saved).ctx);
    expect(result).toMatchObject({ outcome: 'improved', versionId });
    expect(result.attempts).toHaveLength(1);
    expect(answers).toHaveLength(0);
  });

  it("ends with time_budget once the run's time budget is spent, before asking the model", async () => {
    await liveModule('slow');
    const { ctx } = run('slow');
    const expired = { ...ctx, createdAt: Date.now() - m.config.integrations.agent.timeBudgetMs - 1 };
    const result = await m.get(ImprovementLoop).run(expired);
    expect(result.outcome).toBe('time_budget');
    expect(result.attempts).toHaveLength(0);
  });
});
