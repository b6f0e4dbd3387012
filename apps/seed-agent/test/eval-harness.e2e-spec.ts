import { join } from 'node:path';
import { ModelRegistry } from '@seed/integrations';
import { loadTasks, runTask, scriptedModel, table } from '../../../eval/harness';
import { startTestApp, TestApp } from './harness';

/** A smoke of `npm run eval:agent` on the scripted model: it checks the harness, not any model's efficacy. */
describe('the efficacy harness (smoke, scripted model)', () => {
  let t: TestApp;
  const all = loadTasks(join(__dirname, '../../../eval/tasks'));
  const tasks = all.filter((task) => ['sum-of-list', 'slugify', 'fibonacci'].includes(task.name));

  beforeAll(async () => {
    t = await startTestApp({ AGENT_MODEL: 'scripted', AGENT_MAX_ATTEMPTS: '5' });
    const scripted = scriptedModel(tasks, ['-eng', '-base']);
    t.app.get(ModelRegistry).register('scripted', () => scripted);
  });
  afterAll(() => t?.close());

  it('has at least 12 tasks, each with visible and held-out cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    for (const task of all) {
      expect(task.visible.length).toBeGreaterThan(0);
      expect(task.hidden.length).toBeGreaterThan(0);
      expect(['bug', 'edge', 'slow']).toContain(task.kind);
    }
  });

  it('runs tasks through the engine and the baseline and prints the table', async () => {
    const request = (method: string, path: string, body?: unknown) => t.request(method, path, body);
    const options = { rounds: 3, model: 'scripted' };
    const engine = [];
    const baseline = [];
    for (const task of tasks) {
      engine.push(await runTask(request, task, { ...options, baseline: false, suffix: '-eng' }));
      baseline.push(await runTask(request, task, { ...options, baseline: true, suffix: '-base' }));
    }
    expect(engine.map((r) => [r.solved, r.rounds, r.candidates])).toEqual(tasks.map(() => [true, 1, 3]));
    expect(baseline.map((r) => [r.solved, r.rounds, r.candidates])).toEqual(tasks.map(() => [true, 2, 2]));
    const printed = table(engine);
    expect(printed).toContain(
      '| task | kind | solved | rounds | candidates | tokens | costUsd | seconds | stopReason |',
    );
    expect(printed).toContain('| total | | 3/3 |');
  });
});
