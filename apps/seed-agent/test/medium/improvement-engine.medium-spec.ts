import {
  AgentModule,
  ImprovementEngine,
  ImprovementRunsRepository,
  ImprovementsService,
  ImprovementSweeper,
} from '@seed/agent';
import { type BusMessageOf, ClusterBus } from '@seed/cluster';
import { CodeStoreRepository, type NewTestCase } from '@seed/code-store';
import { SubmissionsService } from '@seed/hot-reload';
import { ModelRegistry } from '@seed/integrations';
import { AGENT_JOB_PREFIX, JobsRepository } from '@seed/jobs';
import { DataSource } from 'typeorm';
import { startMedium, type MediumContext } from '../support/medium';
import { answer, ScriptedModel } from '../support/scripted-model';

const WRONG = 'export default (x: { a: number; b: number }) => ({ sum: x.a - x.b });';
const RIGHT = 'export default (x: { a: number; b: number }) => ({ sum: x.a + x.b });';
const ADDS: NewTestCase = { name: 'adds', input: { a: 2, b: 3 }, expected: { sum: 5 }, hasExpected: true };
const SECRET: NewTestCase = {
  name: 'held-out-zz-secret-name',
  input: { a: 40000, b: 2 },
  expected: { sum: 40002, note: 'zz-secret-expectation' },
  hasExpected: true,
  hidden: true,
};

/**
 * The improvement engine on the scripted model, through the real agent queue, pipeline worker, PostgreSQL and
 * isolates: each test scripts one mechanism.
 */
describe('ImprovementEngine', () => {
  let m: MediumContext;
  const scripted = new ScriptedModel();

  beforeAll(async () => {
    m = await startMedium([AgentModule], {
      init: true,
      env: {
        AGENT_MODEL: 'mock',
        AGENT_PATIENCE: '0',
        // `priced` is the same scripted model with a price: $1 per million prompt tokens, $1000 per million
        // answer tokens, so an answer of its whole 100-token allowance costs $0.1.
        AGENT_PRICES: JSON.stringify({ priced: { input: 1, output: 1000 } }),
        AGENT_MAX_OUTPUT_TOKENS: '100',
      },
    });
    m.get(ModelRegistry).register('mock', () => scripted.model);
    m.get(ModelRegistry).register('priced', () => scripted.model);
  });
  afterAll(() => m?.close());

  async function liveModule(name: string, source = WRONG, tests: NewTestCase[] = [ADDS]) {
    const submissions = m.get(SubmissionsService);
    const { versionId } = await submissions.createModule(name, source, [], {}, 'admin:test', 'admin');
    expect((await submissions.awaitOutcome(versionId, Date.now() + 30_000))?.status).toBe('active');
    const store = m.get(CodeStoreRepository);
    await store.addTests((await store.getModule(name)).id, tests, 'admin:test', 200);
    return versionId;
  }

  async function finished(runId: string) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const view = await m.get(ImprovementsService).view(runId, 'admin');
      if (view.state === 'finished') return view;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('feeds a diff that does not apply back verbatim, and the rewrite fallback wins', async () => {
    await liveModule('diffs');
    scripted.script('diffs', (prompt) =>
      prompt.includes('did not apply')
        ? answer(RIGHT)
        : answer('<<<<<<< SEARCH\nx.a * x.b\n=======\nx.a + x.b\n>>>>>>> REPLACE'),
    );
    const { runId } = await m
      .get(ImprovementsService)
      .start('diffs', { goal: 'add', rounds: 2, edit: 'auto' }, 'admin:test');
    const run = await finished(runId);
    expect(run.stopReason).toBe('solved');
    const [candidate] = run.rounds[0].candidates;
    expect(candidate).toMatchObject({
      status: 'active',
      editKind: 'rewrite',
      decision: expect.stringContaining('activated'),
    });
    expect(candidate.prompt).toContain(
      'SEARCH/REPLACE block 1 did not apply: its SEARCH text does not occur',
    );
    expect(candidate.prompt).toContain('x.a * x.b'); // the failed block, verbatim
    expect(scripted.callsFor('diffs')).toBe(2);
  });

  it('applies a diff that matches once', async () => {
    await liveModule('patched');
    scripted.script('patched', () =>
      answer('<<<<<<< SEARCH\nsum: x.a - x.b\n=======\nsum: x.a + x.b\n>>>>>>> REPLACE'),
    );
    const { runId } = await m
      .get(ImprovementsService)
      .start('patched', { goal: 'add', rounds: 1, edit: 'diff' }, 'admin:test');
    const run = await finished(runId);
    expect(run.rounds[0].candidates[0]).toMatchObject({ status: 'active', editKind: 'diff' });
    expect(run.activatedVersionId).toBe(run.rounds[0].candidates[0].versionId);
  });

  it('skips a duplicate of an archived version before evaluating it', async () => {
    await liveModule('dupes');
    // The active source, reformatted and commented: the same once minified.
    scripted.script('dupes', () =>
      answer('// same thing\nexport default (x: { a: number; b: number }) => ({\n  sum: x.a - x.b,\n});\n'),
    );
    const { runId } = await m
      .get(ImprovementsService)
      .start('dupes', { goal: 'add', rounds: 1 }, 'admin:test');
    const run = await finished(runId);
    expect(run.stopReason).toBe('rounds');
    expect(run.rounds[0].candidates[0]).toMatchObject({
      status: 'duplicate',
      versionId: null,
      decision: expect.stringContaining('same normalised source as version 1'),
    });
  });

  it('evaluates a source once when two candidates of one round propose it', async () => {
    await liveModule('twins');
    scripted.script('twins', () => answer(RIGHT));
    const { runId } = await m
      .get(ImprovementsService)
      .start('twins', { goal: 'add', rounds: 1, candidatesPerRound: 2 }, 'admin:test');
    const run = await finished(runId);
    expect(scripted.callsFor('twins')).toBe(2);
    const [kept, twin] = [...run.rounds[0].candidates].sort((a, b) =>
      a.status === 'duplicate' ? 1 : b.status === 'duplicate' ? -1 : 0,
    );
    expect(kept).toMatchObject({ status: 'active', versionId: expect.any(String) });
    expect(twin).toMatchObject({
      status: 'duplicate',
      versionId: null,
      decision: `skipped: same normalised source as candidate ${kept.index + 1} of this round`,
    });
    const module = await m.get(CodeStoreRepository).getModule('twins');
    expect((await m.get(CodeStoreRepository).listVersions(module.id, { limit: 10, offset: 0 })).total).toBe(
      2,
    );
  });

  it('keeps concurrent candidates within the token budget but for one call', async () => {
    await liveModule('thrifty');
    // Four wrong candidates a round, each call reporting 30 tokens (15 of them the prompt) whatever its cap.
    scripted.script('thrifty', (_prompt, call) =>
      answer(`export default (x: { a: number; b: number }) => ({ sum: x.a * x.b * ${call} });`, {
        tokens: 30,
      }),
    );
    const caps = scripted.outputCaps.length;
    const { runId } = await m
      .get(ImprovementsService)
      .start(
        'thrifty',
        { goal: 'add', rounds: 3, candidatesPerRound: 4, budget: { maxTokens: 50 } },
        'admin:test',
      );
    const run = await finished(runId);
    // At once they would have spent 120. The first call runs alone (nothing known of a call's cost); 20 left
    // is less than a call, so the next runs alone, asked to keep its output to the 5 its prompt leaves.
    expect(run).toMatchObject({ stopReason: 'budget', roundsDone: 1, tokens: 60 });
    expect(run.tokens - 50).toBeLessThanOrEqual(30);
    expect(scripted.outputCaps.slice(caps)).toEqual([50, 5]);
    const statuses = run.rounds[0].candidates.map((c) => c.status);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'skipped')).toHaveLength(2);
    expect(run.rounds[0].candidates.find((c) => c.status === 'skipped')!.decision).toBe(
      "not generated: the run's token budget is spent",
    );
  });

  it('keeps four concurrent candidates of a priced model within a cost budget that fits two calls', async () => {
    await liveModule('frugal');
    // Each answer uses its whole output allowance (the worst case the gate reserves), and a short prompt.
    let inFlight = 0;
    let mostAtOnce = 0;
    scripted.script('frugal', async (_prompt, call, options) => {
      mostAtOnce = Math.max(mostAtOnce, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return answer(`export default (x: { a: number; b: number }) => ({ sum: x.a * x.b * ${call} });`, {
        inputTokens: 10,
        outputTokens: options.maxOutputTokens ?? 1000,
      });
    });
    const caps = scripted.outputCaps.length;
    const { runId } = await m.get(ImprovementsService).start(
      'frugal',
      // A call's worst case is its prompt (under $0.01) plus $0.1 of answer: 0.25 fits two, not four.
      { goal: 'add', rounds: 3, candidatesPerRound: 4, budget: { maxCostUsd: 0.25 }, model: 'priced' },
      'admin:test',
    );
    const run = await finished(runId);
    expect(run.stopReason).toBe('budget');
    expect(run.costUsd).toBeLessThanOrEqual(0.25);
    const spent = run.rounds.flatMap((r) => r.candidates).reduce((sum, c) => sum + c.costUsd, 0);
    expect(spent).toBeCloseTo(run.costUsd, 9);
    const asked = scripted.outputCaps.slice(caps);
    // Every call was capped; two got the whole allowance, the rest what was left.
    expect(asked.every((cap) => cap !== undefined && cap <= 100)).toBe(true);
    expect(asked.filter((cap) => cap === 100)).toHaveLength(2);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    const skipped = run.rounds.flatMap((r) => r.candidates).filter((c) => c.status === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0].decision).toBe("not generated: the run's cost budget is spent");
  });

  it('keeps an unpriced model that reports its cost afterwards within the cost budget but for one call', async () => {
    await liveModule('reported');
    // Like the Claude CLI: no price, each answer reports $0.1 once it is done.
    scripted.script('reported', (_prompt, call) =>
      answer(`export default (x: { a: number; b: number }) => ({ sum: x.a * x.b * ${call} });`, {
        costUsd: 0.1,
      }),
    );
    const { runId } = await m
      .get(ImprovementsService)
      .start(
        'reported',
        { goal: 'add', rounds: 3, candidatesPerRound: 4, budget: { maxCostUsd: 0.25 } },
        'admin:test',
      );
    const run = await finished(runId);
    // Four at once would have spent 0.4 each round. The first runs alone, the next reserve $0.1 each, and the
    // last runs alone on the 0.05 left: one call beyond the budget at most.
    expect(run).toMatchObject({ stopReason: 'budget', roundsDone: 1 });
    expect(run.costUsd).toBeCloseTo(0.3, 9);
    expect(run.costUsd).toBeLessThanOrEqual(0.25 + 0.1 + 1e-9);
    expect(run.rounds[0].candidates.filter((c) => c.status === 'skipped')).toHaveLength(1);
  });

  it('counts the capability calls of each candidate: under a cost objective the one fetching less wins', async () => {
    const grants = { fetch: { origins: ['https://rates.example.com'] } };
    const fixtures = {
      fetch: [{ url: 'https://rates.example.com/rate', method: 'GET', response: { status: 200, body: '1' } }],
    };
    const fetching = (
      times: number,
      op: string,
    ) => `export default async (x: { a: number; b: number }, ctx: any) => {
      let rate = 0;
      for (let i = 0; i < ${times}; i++) rate = Number((await ctx.fetch('https://rates.example.com/rate')).body);
      return { sum: (x.a ${op} x.b) * rate };
    };`;
    const submissions = m.get(SubmissionsService);
    const settings = { capabilities: grants, objective: { capabilityWeight: 0.3, capabilityRefCalls: 10 } };
    const { versionId } = await submissions.createModule(
      'rated',
      fetching(1, '-'),
      [],
      settings,
      'admin:test',
      'admin',
    );
    expect((await submissions.awaitOutcome(versionId, Date.now() + 30_000))?.status).toBe('active');
    const store = m.get(CodeStoreRepository);
    await store.addTests((await store.getModule('rated')).id, [{ ...ADDS, fixtures }], 'admin:test', 200);
    const LEAN = fetching(1, '+');
    const GREEDY = fetching(3, '+');
    scripted.script('rated', (_prompt, call) => answer(call === 1 ? GREEDY : LEAN));
    const { runId } = await m
      .get(ImprovementsService)
      .start('rated', { goal: 'add', rounds: 1, candidatesPerRound: 2 }, 'admin:test');
    const run = await finished(runId);
    const bySource = async (source: string) => {
      for (const candidate of run.rounds[0].candidates) {
        const version = await store.findVersion(candidate.versionId!);
        if (version?.source === source) return { candidate, version };
      }
      throw new Error('no such candidate');
    };
    const lean = await bySource(LEAN);
    const greedy = await bySource(GREEDY);
    expect(lean.version.score).toMatchObject({
      capabilityCalls: 1,
      capabilityUsage: { calls: 1, fetches: 1 },
    });
    expect(greedy.version.score).toMatchObject({
      capabilityCalls: 3,
      capabilityUsage: { calls: 3, fetches: 3 },
    });
    expect(greedy.candidate.utility).toBeLessThan(lean.candidate.utility!);
    expect(lean.candidate).toMatchObject({
      status: 'active',
      decision: expect.stringContaining('activated'),
    });
    expect(greedy.candidate).toMatchObject({
      status: 'ready',
      decision: expect.stringContaining('below the round'),
    });
  });

  it('runs one run per module at a time: of concurrent starts one wins, the others name it', async () => {
    await liveModule('contended');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    scripted.script('contended', async () => {
      await gate;
      return answer(WRONG.replace('-', '*'));
    });
    const service = m.get(ImprovementsService);
    const starts = await Promise.allSettled(
      Array.from({ length: 4 }, () => service.start('contended', { goal: 'add', rounds: 1 }, 'admin:test')),
    );
    const won = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(won).toHaveLength(1);
    const refused = starts.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(refused).toHaveLength(3);
    for (const error of refused)
      expect(error).toMatchObject({ code: 'improvement_running', details: { runId: won[0].runId } });
    const module = await m.get(CodeStoreRepository).getModule('contended');
    expect((await m.get(ImprovementRunsRepository).listForModule(module.id, 10, 0)).total).toBe(1);
    release();
    expect((await finished(won[0].runId)).stopReason).toBe('rounds');
    // Once it finished, the module takes the next run.
    const next = await service.start('contended', { goal: 'add', rounds: 1 }, 'admin:test');
    expect((await finished(next.runId)).state).toBe('finished');
  });

  it('stops a run with reason budget once its tokens are spent', async () => {
    await liveModule('spender');
    scripted.script('spender', () => answer(WRONG.replace('-', '*'), { tokens: 50 }));
    const { runId } = await m
      .get(ImprovementsService)
      .start('spender', { goal: 'add', rounds: 3, budget: { maxTokens: 40 } }, 'admin:test');
    const run = await finished(runId);
    expect(run).toMatchObject({ stopReason: 'budget', roundsDone: 1, tokens: 50 });
    expect(scripted.callsFor('spender')).toBe(1);
  });

  it('never shows a hidden case in a prompt or to an agent, and judges concurrent candidates by it', async () => {
    await liveModule('secretive', WRONG, [ADDS, SECRET]);
    // Passes the visible case but not the held-out one; the other candidate passes both.
    const OVERFIT = 'export default (x: { a: number; b: number }) => ({ sum: 5 });';
    const GOOD =
      'export default (x: { a: number; b: number }) => (x.a === 40000 ? { sum: 40002, note: "zz-secret-expectation" } : { sum: x.a + x.b });';
    scripted.script('secretive', (_prompt, call) => answer(call === 1 ? OVERFIT : GOOD));
    const { runId } = await m
      .get(ImprovementsService)
      .start('secretive', { goal: 'add', rounds: 1, candidatesPerRound: 2 }, 'admin:test');
    const adminView = await finished(runId);
    const statuses = adminView.rounds[0].candidates.map((c) => c.status).sort();
    expect(statuses).toEqual(['active', 'rejected']);
    const rejected = adminView.rounds[0].candidates.find((c) => c.status === 'rejected')!;
    expect(rejected.feedback.join('\n')).toContain('1 of 1 hidden case failed');

    const agentView = await m.get(ImprovementsService).view(runId, 'agent');
    expect(agentView.rounds[0].candidates.every((c) => !('prompt' in c))).toBe(true);
    const store = m.get(CodeStoreRepository);
    const version = await store.findVersion(rejected.versionId!);
    const everything = [...scripted.prompts, JSON.stringify(agentView), JSON.stringify(version)].join('\n');
    for (const secret of ['zz-secret-name', 'zz-secret-expectation', '40000', '40002'])
      expect(everything).not.toContain(secret);
  });

  it('draws parents from the archive, leaving an active version whose children all failed', async () => {
    const v1 = await liveModule('archived', RIGHT);
    const submissions = m.get(SubmissionsService);
    // Four failed children of the active version, and one good sibling held at ready.
    for (const [i, wrong] of ['-', '*', '/', '%'].entries()) {
      const { versionId } = await submissions.submit('archived', {
        source: RIGHT.replace('+', wrong),
        author: 'agent:mock',
        authorRole: 'agent',
        activate: false,
        dryRun: false,
        parentVersionId: v1,
        idempotencyKey: `child-${i}`,
      });
      expect((await submissions.awaitOutcome(versionId, Date.now() + 30_000))?.status).toBe('rejected');
    }
    const sibling = await submissions.submit('archived', {
      source: 'export default (x: { a: number; b: number }) => ({ sum: x.b + x.a });',
      author: 'admin:test',
      authorRole: 'admin',
      activate: false,
      dryRun: false,
      parentVersionId: v1,
    });
    expect((await submissions.awaitOutcome(sibling.versionId, Date.now() + 30_000))?.status).toBe('ready');

    scripted.script('archived', () =>
      answer(
        'export default (x: { a: number; b: number }) => ({ sum: [x.a, x.b].reduce((s, n) => s + n, 0) });',
      ),
    );
    const module = await m.get(CodeStoreRepository).getModule('archived');
    const run = await m.get(ImprovementRunsRepository).create({
      moduleId: module.id,
      goal: 'keep adding',
      goalCases: [],
      options: {
        rounds: 1,
        candidatesPerRound: 1,
        parentSelection: 'archive',
        edit: 'rewrite',
        budget: { maxTokens: 0, maxCostUsd: 0, maxMs: 60_000 },
        model: 'mock',
      },
      requestedBy: 'admin:test',
    });
    expect(await m.get(ImprovementEngine).run(run.id, new AbortController().signal, () => 0.5)).toBe(
      'solved',
    );
    const view = await m.get(ImprovementsService).view(run.id, 'admin');
    const [candidate] = view.rounds[0].candidates;
    expect(candidate.parentVersionId).toBe(sibling.versionId);
    expect(candidate.parentWhy).toMatch(/^archive: v6 drawn with p=0\.\d+ \(utility 1, 0 children/);
    // Activated as a compare-and-swap against the version active at the round's start, not its parent.
    expect(candidate.status).toBe('active');
    expect((await m.get(CodeStoreRepository).getModule('archived')).activeVersionId).toBe(
      candidate.versionId,
    );
  });

  it('ends a running run whose job was deleted from the queue as job_lost, once, whatever the sweepers', async () => {
    await liveModule('orphaned');
    const module = await m.get(CodeStoreRepository).getModule('orphaned');
    const runs = m.get(ImprovementRunsRepository);
    const jobs = m.get(JobsRepository);
    const sweeper = m.get(ImprovementSweeper);
    const id = crypto.randomUUID();
    const jobId = `${AGENT_JOB_PREFIX}${id}`;
    await runs.insertRunning({
      id,
      jobId,
      moduleId: module.id,
      goal: 'add',
      goalCases: [],
      options: {
        rounds: 1,
        candidatesPerRound: 1,
        parentSelection: 'active',
        edit: 'auto',
        budget: { maxTokens: 0, maxCostUsd: 0, maxMs: 60_000 },
        model: 'mock',
      },
      requestedBy: 'admin:test',
    });
    // Queued for an hour from now (no worker takes it meanwhile), and started long enough ago to be swept.
    await jobs.add('agent', jobId, { runId: id, module: 'orphaned' }, 3_600_000);
    await m
      .get(DataSource)
      .query(`UPDATE improvement_runs SET created_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    const done: Array<BusMessageOf<'improvement.done'>> = [];
    const unsubscribe = m.get(ClusterBus).on(['improvement.done'], (event) => {
      if (event.runId === id) done.push(event);
    });
    try {
      expect(await sweeper.sweep()).toBe(0); // its job waits: it will run
      expect((await runs.find(id))!.state).toBe('running');

      await jobs.remove('agent', jobId); // as a Redis flush would
      // Two nodes sweeping at once: the conditional update lets one end it.
      const ended = await Promise.all([sweeper.sweep(), sweeper.sweep()]);
      expect(ended[0] + ended[1]).toBe(1);
      const run = await m.get(ImprovementsService).view(id, 'admin');
      expect(run).toMatchObject({ state: 'finished', stopReason: 'job_lost' });
      const deadline = Date.now() + 10_000;
      while (done.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(done).toEqual([expect.objectContaining({ module: 'orphaned', stopReason: 'job_lost' })]);
      expect(await sweeper.sweep()).toBe(0);
    } finally {
      unsubscribe();
    }
    // The module is free for the next run.
    scripted.script('orphaned', () => answer(RIGHT));
    const next = await m.get(ImprovementsService).start('orphaned', { goal: 'add', rounds: 1 }, 'admin:test');
    expect((await finished(next.runId)).stopReason).toBe('solved');
  });

  it('cancels a run: it stops with reason cancelled', async () => {
    await liveModule('cancelled');
    scripted.script('cancelled', () => answer(WRONG.replace('-', '*')));
    const service = m.get(ImprovementsService);
    const module = await m.get(CodeStoreRepository).getModule('cancelled');
    const run = await m.get(ImprovementRunsRepository).create({
      moduleId: module.id,
      goal: 'add',
      goalCases: [],
      options: {
        rounds: 3,
        candidatesPerRound: 1,
        parentSelection: 'active',
        edit: 'auto',
        budget: { maxTokens: 0, maxCostUsd: 0, maxMs: 60_000 },
        model: 'mock',
      },
      requestedBy: 'admin:test',
    });
    await service.cancel(run.id, 'admin');
    expect(await m.get(ImprovementEngine).run(run.id, new AbortController().signal)).toBe('cancelled');
    expect(scripted.callsFor('cancelled')).toBe(0);
    await expect(service.cancel(run.id, 'admin')).rejects.toMatchObject({ code: 'improvement_finished' });
  });
});
