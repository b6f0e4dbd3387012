import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRegistry } from '@seed/integrations';
import { eventually, settledVersion, startTestApp, TestApp, TOKENS } from './harness';
import { openEventStream } from './support/event-stream';
import { answer, ScriptedModel } from './support/scripted-model';

const WRONG = 'export default (input: { a: number; b: number }) => ({ sum: input.a - input.b });';
const RIGHT = 'export default (input: { a: number; b: number }) => ({ sum: input.a + input.b });';
const SECRET = 'zz-held-out';

/** The worked example of docs/improvement-engine.md, run over HTTP on the scripted model. */
function docExample(name: string): unknown {
  const doc = readFileSync(join(__dirname, '../../../docs/improvement-engine.md'), 'utf8');
  const block = new RegExp('<!-- ' + name + ' -->\\s*```json\\n([\\s\\S]*?)```').exec(doc);
  if (!block) throw new Error(`docs/improvement-engine.md has no ${name} block`);
  return JSON.parse(block[1]);
}

describe('improvement runs over HTTP (scripted model)', () => {
  let t: TestApp;
  const scripted = new ScriptedModel();

  beforeAll(async () => {
    t = await startTestApp({ AGENT_MODEL: 'mock' });
    t.app.get(ModelRegistry).register('mock', () => scripted.model);
  });
  afterAll(() => t?.close());

  it('runs the documented /improve with two candidates a round and keeps its record', async () => {
    const created = await t.request('POST', '/modules', {
      name: 'adder',
      source: WRONG,
      tests: [
        { name: 'zero', input: { a: 0, b: 0 }, expect: { sum: 0 } },
        { name: `${SECRET}-case`, input: { a: 7001, b: 0 }, expect: { sum: 7001 }, hidden: true },
      ],
    });
    expect(created.status).toBe(201);
    expect((await settledVersion(t, 'adder', created.body.versionId)).status).toBe('active');

    // Held-out cases: counted for agents and viewers, never shown; only an admin adds them.
    const asAgent = await t.request('GET', '/modules/adder/tests', undefined, { role: 'agent' });
    expect(asAgent.body).toMatchObject({ hiddenCount: 1, items: [{ name: 'zero' }] });
    const refused = await t.request(
      'POST',
      '/modules/adder/tests',
      { name: 'sneaky', input: 1, hidden: true },
      { role: 'agent' },
    );
    expect(refused.status).toBe(403);

    // Two candidates a round answer in turn: the first subtracts again (rejected), the second adds.
    scripted.script('adder', (_prompt, call) => answer(call % 2 === 1 ? WRONG.replace('-', '*') : RIGHT));
    const stream = await openEventStream(`${t.url}/events?module=adder`, TOKENS.viewer);
    try {
      const request = docExample('improve-request');
      const started = await t.request('POST', '/modules/adder/improve', request, { role: 'agent' });
      expect(started.status).toBe(202);
      const { runId } = started.body;
      const run = await eventually(async () => {
        const view = await t.request('GET', `/improvements/${runId}`, undefined, { role: 'agent' });
        return view.body.state === 'finished' ? view.body : undefined;
      }, 60_000);
      expect(run).toMatchObject(docExample('improve-record') as object);
      const statuses = run.rounds[0].candidates.map((c: { status: string }) => c.status).sort();
      expect(statuses).toEqual(['active', 'rejected']);
      expect(run.rounds[0].candidates.every((c: object) => !('prompt' in c))).toBe(true);

      const asAdmin = await t.request('GET', `/improvements/${runId}`);
      expect(asAdmin.body.rounds[0].candidates[0].prompt).toContain('Module: adder');
      const list = await t.request('GET', '/modules/adder/improvements', undefined, { role: 'viewer' });
      expect(list.body).toMatchObject({ total: 1, items: [{ id: runId, stopReason: 'solved' }] });

      await eventually(async () =>
        stream.events.some((e) => e.type === 'improvement.done') ? true : undefined,
      );
      const rejected = run.rounds[0].candidates.find((c: { status: string }) => c.status === 'rejected');
      const version = await t.request('GET', `/modules/adder/versions/${rejected.versionId}`, undefined, {
        role: 'agent',
      });
      const seen = [
        ...scripted.prompts,
        JSON.stringify(run),
        JSON.stringify(asAgent.body),
        JSON.stringify(version.body),
        JSON.stringify(stream.events),
      ].join('\n');
      for (const secret of [SECRET, '7001']) expect(seen).not.toContain(secret);

      const cancelled = await t.request('POST', `/improvements/${runId}/cancel`, undefined, {
        role: 'agent',
      });
      expect(cancelled.status).toBe(409);
      expect(cancelled.body.error.code).toBe('improvement_finished');
    } finally {
      await stream.close();
    }
  });

  it('judges a case by an evaluator module that agents cannot change and viewers cannot invoke', async () => {
    const judge = await t.request('POST', '/modules', {
      name: 'close-enough',
      kind: 'evaluator',
      source:
        'export default ({ output, expected }: { output: number; expected: number }) => ({ score: Math.abs(output - expected) < 0.01 ? 1 : 0, reason: "distance " + Math.abs(output - expected) });',
    });
    expect(judge.status).toBe(201);
    expect((await settledVersion(t, 'close-enough', judge.body.versionId)).status).toBe('active');
    expect((await t.request('GET', '/modules/close-enough')).body.kind).toBe('evaluator');

    const agentSubmit = await t.request(
      'POST',
      '/modules/close-enough/versions',
      { source: 'export default () => ({ score: 1, reason: "always" });' },
      { role: 'agent' },
    );
    expect(agentSubmit.status).toBe(403);
    expect(agentSubmit.body.error.code).toBe('evaluator_protected');
    const viewerInvoke = await t.request(
      'POST',
      '/modules/close-enough/invoke',
      { input: {} },
      { role: 'viewer' },
    );
    expect(viewerInvoke.status).toBe(403);

    const evaluator = { module: 'close-enough', versionId: judge.body.versionId, threshold: 1 };
    const created = await t.request('POST', '/modules', {
      name: 'third',
      source: 'export default (x: number) => x / 3;',
      tests: [{ name: 'a third', input: 1, expect: 0.333, evaluator }],
    });
    const v1 = await settledVersion(t, 'third', created.body.versionId);
    expect(v1.status).toBe('active');
    expect(v1.score).toMatchObject({ stageReached: 'evaluators', visible: { passed: 1, total: 1 } });

    const worse = await t.request('POST', '/modules/third/versions', {
      source: 'export default (x: number) => x / 2;',
    });
    const rejected = await settledVersion(t, 'third', worse.body.versionId);
    expect(rejected.status).toBe('rejected');
    expect(rejected.diagnostics[0].message).toMatch(
      /scored 0, below its threshold \(evaluators stage\): distance 0\.16/,
    );

    // a pin names the evaluator's version by any reference, stored as the id it names; a pin that could never
    // judge (no such module, not an evaluator, no such version) is refused when the case is added
    const bySeq = await t.request('POST', '/modules/third/tests', {
      name: 'a third by seq',
      input: 2,
      expect: 0.667,
      evaluator: { module: 'close-enough', versionId: 1, threshold: 1 },
    });
    expect(bySeq.status).toBe(201);
    const stored = bySeq.body.items.find((c: { name: string }) => c.name === 'a third by seq');
    expect(stored.evaluator).toEqual({
      module: 'close-enough',
      versionId: judge.body.versionId,
      threshold: 1,
    });
    for (const [pin, why] of [
      [{ module: 'no-such-judge', versionId: 'active' }, /evaluator module no-such-judge does not exist/],
      [{ module: 'third', versionId: 'active' }, /module third is not an evaluator/],
      [{ module: 'close-enough', versionId: 99 }, /evaluator close-enough has no such version/],
    ] as const) {
      const refused = await t.request('PUT', '/modules/third/tests', [
        { name: 'judged', input: 1, evaluator: { ...pin, threshold: 0.5 } },
      ]);
      expect([refused.status, refused.body.error.code]).toEqual([422, 'evaluator_invalid']);
      expect(refused.body.error.message).toMatch(why);
    }
    expect((await t.request('GET', '/modules/third/tests')).body.items).toHaveLength(2);
  });

  it('lists held versions with why each waits, and lets an admin reject one', async () => {
    const created = await t.request('POST', '/modules', { name: 'held', source: RIGHT });
    expect((await settledVersion(t, 'held', created.body.versionId)).status).toBe('active');
    const submitted = await t.request('POST', '/modules/held/versions', {
      source: 'export default (input: { a: number; b: number }) => ({ sum: input.b + input.a });',
    });
    expect((await settledVersion(t, 'held', submitted.body.versionId)).status).toBe('ready');
    const ready = await t.request('GET', '/modules/held/versions?status=ready', undefined, {
      role: 'viewer',
    });
    expect(ready.body).toMatchObject({
      total: 1,
      items: [{ id: submitted.body.versionId, waiting: expect.stringContaining('without activate') }],
    });
    const path = `/modules/held/versions/${submitted.body.versionId}/reject`;
    expect((await t.request('POST', path, undefined, { role: 'agent' })).status).toBe(403);
    const rejected = await t.request('POST', path);
    expect(rejected.body).toMatchObject({ status: 'rejected' });
    expect((await t.request('POST', path)).status).toBe(409);
    expect((await t.request('GET', '/modules/held/versions?status=ready')).body.total).toBe(0);
    expect((await t.request('GET', '/modules/held/versions?status=nope')).status).toBe(400);
  });

  it('answers 404 for an unknown run and 400 for a malformed id', async () => {
    expect((await t.request('GET', '/improvements/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.request('GET', '/improvements/nope')).status).toBe(400);
  });
});
