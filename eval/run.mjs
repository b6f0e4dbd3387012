// `npm run eval:agent [-- --baseline] [-- --only a,b] [-- --rounds n]`: runs every task of eval/tasks through an
// improvement run on the built app (its own PostgreSQL database and Redis prefix) and prints a table. With
// EVAL_MODEL (a model spec, e.g. `claude-cli:sonnet` or `codex-cli`) it measures that model; without, it runs on
// a scripted model and says so (that checks the harness, not efficacy). `--baseline` runs the ablation: one
// candidate a round, parent = the active version, full rewrites; `--compare` runs both, side by side.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchApp } from '../bench/lib/app.mjs';
import { dist } from '../bench/lib/paths.mjs';
import { clearRedisPrefix, createDatabase, dropDatabase } from '../bench/lib/resources.mjs';
import { loadTasks, runTask, scriptedModel, table } from './harness.ts';

const { values } = parseArgs({
  options: {
    baseline: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const model = process.env.EVAL_MODEL;
const tasks = loadTasks(fileURLToPath(new URL('tasks/', import.meta.url)), values.only?.split(','));
const modes = values.compare ? [false, true] : [values.baseline];
const suffixes = modes.map((baseline) => (baseline ? '-base' : '-eng'));
const id = `eval_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const databaseUrl = await createDatabase(id);
const redisPrefix = `eval-${id}`;
const app = await startBenchApp({
  databaseUrl,
  redisPrefix,
  env: {
    METRICS_TOKEN: randomBytes(16).toString('hex'),
    AGENT_MODEL: model ?? 'scripted',
    AGENT_MAX_ATTEMPTS: '20',
    AGENT_DAILY_LIMIT: '0',
    AGENT_COST_BUDGET_USD: '0',
  },
});
try {
  if (!model) {
    const { ModelRegistry } = await import(dist('libs/integrations/src/index.js'));
    const scripted = scriptedModel(tasks, suffixes); // one instance: it counts each task's calls
    app.app.get(ModelRegistry).register('scripted', () => scripted);
    console.log('No EVAL_MODEL set: running on a SCRIPTED model. This checks the harness, not efficacy.\n');
  }
  for (const [i, baseline] of modes.entries()) {
    const rows = [];
    for (const task of tasks) {
      rows.push(
        await runTask(app.request, task, {
          baseline,
          rounds: Number(values.rounds),
          model: model ?? 'scripted',
          suffix: suffixes[i],
        }),
      );
    }
    console.log(
      `### ${baseline ? 'baseline (1 candidate, parent = active, rewrites)' : 'engine (3 candidates, archive, auto edits)'} on ${model ?? 'the scripted model'}\n`,
    );
    console.log(`${table(rows)}\n`);
  }
} finally {
  await app.close();
  await dropDatabase(id).catch(() => undefined);
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}
