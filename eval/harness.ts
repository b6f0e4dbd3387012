// The efficacy harness's core, shared by `npm run eval:agent` (eval/run.mjs, on the built app) and the smoke
// test in `npm test` (apps/seed-agent/test/eval-harness.e2e-spec.ts). Plain TypeScript that Node runs by type
// stripping: no enums, no parameter properties. Each task is a module with a bug, a missing edge case or a slow
// algorithm, and visible and held-out cases; a task is solved when a run activates a version, which requires
// every held-out case to pass.
import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockLanguageModelV4 } from 'ai/test';

export interface EvalCase {
  name: string;
  input: unknown;
  expect: unknown;
}

export interface EvalTask {
  name: string;
  kind: 'bug' | 'edge' | 'slow';
  goal: string;
  source: string;
  visible: EvalCase[];
  hidden: EvalCase[];
  /** What the scripted model answers once it "gets it": checks the harness, not a model. */
  solution: string;
}

export interface EvalResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the route answers
}

export type Requester = (method: string, path: string, body?: unknown) => Promise<EvalResponse>;

export interface EvalRow {
  task: string;
  kind: string;
  solved: boolean;
  rounds: number;
  candidates: number;
  tokens: number;
  costUsd: number;
  seconds: number;
  stopReason: string;
}

export function loadTasks(dir: string, only?: readonly string[]): EvalTask[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as EvalTask)
    .filter((t) => !only?.length || only.includes(t.name));
}

/** The engine's settings, and the ablation: one candidate a round, parent = active, full rewrites. */
export function runOptions(baseline: boolean, rounds: number) {
  return baseline
    ? { rounds, candidatesPerRound: 1, parentSelection: 'active', edit: 'rewrite' }
    : { rounds, candidatesPerRound: 3, parentSelection: 'archive', edit: 'auto' };
}

/**
 * The scripted model's answer for a task's n-th call: first the task's own source again (a duplicate the
 * engine skips), then its solution. An engine with several candidates a round solves in one round, the
 * baseline in two: that is the harness working, not a measure of any model.
 */
export function scriptedAnswer(task: EvalTask, call: number): string {
  return call === 1 ? `// a first try\n${task.source}` : task.solution;
}

async function expectOk(response: Promise<EvalResponse>, status: number, what: string) {
  const r = await response;
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** One task: a fresh module (suffix keeps modes apart), its cases, one improvement run, its record. */
export async function runTask(
  request: Requester,
  task: EvalTask,
  options: { baseline: boolean; rounds: number; model: string; suffix: string; timeoutMs?: number },
): Promise<EvalRow> {
  const name = `${task.name}${options.suffix}`;
  const created = await expectOk(
    request('POST', '/modules', { name, source: task.source }),
    201,
    `create ${name}`,
  );
  await waitFor(request, `/modules/${name}`, (m) => m.activeVersionId === created.versionId, 30_000);
  const cases = [...task.visible, ...task.hidden.map((c) => ({ ...c, hidden: true }))];
  await expectOk(request('POST', `/modules/${name}/tests`, cases), 201, `cases of ${name}`);
  const started = Date.now();
  const { runId } = await expectOk(
    request('POST', `/modules/${name}/improve`, {
      goal: task.goal,
      model: options.model,
      ...runOptions(options.baseline, options.rounds),
    }),
    202,
    `improve ${name}`,
  );
  const run = await waitFor(
    request,
    `/improvements/${runId}`,
    (r) => r.state === 'finished',
    options.timeoutMs ?? 600_000,
  );
  const candidates = run.rounds.reduce(
    (n: number, r: { candidates: unknown[] }) => n + r.candidates.length,
    0,
  );
  return {
    task: task.name,
    kind: task.kind,
    solved: Boolean(run.activatedVersionId),
    rounds: run.roundsDone,
    candidates,
    tokens: run.tokens,
    costUsd: Math.round(run.costUsd * 10_000) / 10_000,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    stopReason: run.stopReason,
  };
}

async function waitFor(
  request: Requester,
  path: string,
  done: (body: EvalResponse['body']) => boolean,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await request('GET', path);
    if (r.status === 200 && done(r.body)) return r.body;
    if (Date.now() > deadline)
      throw new Error(`${path} did not finish in ${timeoutMs} ms: ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The rows as a markdown table, with a total line. */
export function table(rows: readonly EvalRow[]): string {
  const columns: Array<keyof EvalRow> = [
    'task',
    'kind',
    'solved',
    'rounds',
    'candidates',
    'tokens',
    'costUsd',
    'seconds',
    'stopReason',
  ];
  const solved = rows.filter((r) => r.solved).length;
  const lines = [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => String(r[c])).join(' | ')} |`),
    `| total | | ${solved}/${rows.length} | ${sum(rows, 'rounds')} | ${sum(rows, 'candidates')} | ${sum(rows, 'tokens')} | ${Math.round(sum(rows, 'costUsd') * 10_000) / 10_000} | ${Math.round(sum(rows, 'seconds') * 10) / 10} | |`,
  ];
  return lines.join('\n');
}

function sum(
  rows: readonly EvalRow[],
  key: 'rounds' | 'candidates' | 'tokens' | 'costUsd' | 'seconds',
): number {
  return rows.reduce((n, r) => n + r[key], 0);
}

/** A stand-in model for the harness when none is configured: answers each task from its script. */
export function scriptedModel(tasks: readonly EvalTask[], suffixes: readonly string[]) {
  const calls = new Map<string, number>();
  const byModule = new Map<string, EvalTask>();
  for (const task of tasks) for (const suffix of suffixes) byModule.set(`${task.name}${suffix}`, task);
  return new MockLanguageModelV4({
    provider: 'scripted',
    modelId: 'scripted',
    doGenerate: async (options: LanguageModelV4CallOptions) => {
      const text = options.prompt
        .map((m) =>
          typeof m.content === 'string'
            ? m.content
            : m.content.map((p) => ('text' in p ? p.text : '')).join(''),
        )
        .join('\n');
      const module = /^Module: (\S+)/m.exec(text)?.[1] ?? '?';
      const task = byModule.get(module);
      if (!task) throw new Error(`the scripted model has no task for module ${module}`);
      const call = (calls.get(module) ?? 0) + 1;
      calls.set(module, call);
      const source = scriptedAnswer(task, call);
      return {
        content: [{ type: 'text', text: JSON.stringify({ source, rationale: `scripted answer ${call}` }) }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: {
            total: Math.ceil(text.length / 4),
            noCache: Math.ceil(text.length / 4),
            cacheRead: 0,
            cacheWrite: 0,
          },
          outputTokens: {
            total: Math.ceil(source.length / 4),
            text: Math.ceil(source.length / 4),
            reasoning: 0,
          },
        },
        warnings: [],
      };
    },
  });
}
