import type { WireObject } from '../api-client.js';
import { Command, Option } from 'commander';
import { EXIT } from '../cli-error.js';
import { positiveInt, readJson } from '../files.js';
import { follow } from '../follow.js';
import type { Run } from '../program.js';
import { reportRun, runEvent, runSettled } from './improvement-run.js';

/** Outcomes after which the module has a better version (live, or waiting for approval). */
const SUCCESS = new Set(['improved', 'held']);

export function improveCommand(run: Run): Command {
  return new Command('improve')
    .description('ask the agent to improve a module toward a goal; --watch follows its attempts')
    .argument('<module>')
    .requiredOption('-g, --goal <text>', 'what the improvement should achieve')
    .option('--tests <file>', 'cases of the goal: a JSON array of {name, input, expect?}')
    .option('--max-attempts <n>', 'at most this many candidates', positiveInt)
    .option('--model <spec>', 'provider or provider:model')
    .option('--rounds <n>', 'an improvement run of this many rounds (instead of attempts)', positiveInt)
    .option('--candidates <n>', 'an improvement run with this many candidates per round', positiveInt)
    .addOption(
      new Option('--parent-selection <how>', 'an improvement run: parents from').choices([
        'active',
        'archive',
      ]),
    )
    .addOption(
      new Option('--edit <kind>', 'an improvement run: edits as').choices(['diff', 'rewrite', 'auto']),
    )
    .option('-w, --watch', 'stream the attempts and end with the outcome (exit 1 unless improved or held)')
    .action(
      run(
        async (
          ctx,
          module: string,
          o: {
            goal: string;
            tests?: string;
            maxAttempts?: number;
            model?: string;
            rounds?: number;
            candidates?: number;
            parentSelection?: string;
            edit?: string;
            watch?: boolean;
          },
        ) => {
          const client = ctx.client();
          const body = {
            goal: o.goal,
            ...(o.tests ? { tests: readJson(o.tests, 'tests') } : {}),
            ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
            ...(o.model ? { model: o.model } : {}),
            ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
            ...(o.candidates !== undefined ? { candidatesPerRound: o.candidates } : {}),
            ...(o.parentSelection ? { parentSelection: o.parentSelection } : {}),
            ...(o.edit ? { edit: o.edit } : {}),
          };
          const start = () =>
            client.post<{ jobId: string; runId?: string }>(
              `/modules/${encodeURIComponent(module)}/improve`,
              body,
            );
          if (!o.watch) {
            const job = await start();
            ctx.out.data(job);
            const follow = job.runId ? `GET /improvements/${job.runId}` : `GET /jobs/${job.jobId}`;
            ctx.out.line(`queued ${job.runId ?? job.jobId}; follow it with --watch or ${follow}`);
            return;
          }
          const { started, result: job } = await follow(ctx, {
            module,
            what: 'the improvement',
            timeoutMs: ctx.timeoutMs,
            start: async () => {
              const job = await start();
              ctx.out.progress(job.runId ? `started run ${job.runId}` : `queued ${job.jobId}`);
              return job;
            },
            onEvent: (event, job) => {
              if (job.runId) return runEvent(ctx, event, job.runId);
              const d = event.data;
              if (d.jobId !== job.jobId) return false;
              if (event.type === 'agent.attempt')
                ctx.out.progress(
                  `  attempt ${d.attempt}/${d.maxAttempts}: ${d.status}${d.versionId ? ` (${d.versionId})` : ''}` +
                    (d.feedback?.length ? `\n    ${d.feedback.join('\n    ')}` : ''),
                );
              if (event.type !== 'agent.done') return false;
              ctx.out.progress(`  done: ${d.outcome}${d.error ? ` (${d.error})` : ''}`);
              return true;
            },
            settled: async (job) => {
              if (job.runId) return runSettled(client, job.runId);
              const view = await client.get(`/jobs/${job.jobId}`);
              return ['completed', 'failed'].includes(view.state) ? (view as WireObject) : undefined;
            },
          });
          if (started.runId) return reportRun(ctx, module, job);
          const outcome = job.result?.outcome ?? 'failed';
          if (!SUCCESS.has(outcome)) ctx.exitCode = EXIT.failed;
          ctx.out.data(job);
          const cost = job.improvement?.costUsd ? `, $${Number(job.improvement.costUsd).toFixed(4)}` : '';
          ctx.out.line(
            `${module}: ${outcome}${job.result?.versionId ? ` (${job.result.versionId})` : ''} after ` +
              `${job.result?.attempts?.length ?? job.improvement?.attempts?.length ?? 0} attempt(s)${cost}` +
              (job.failedReason ? `: ${job.failedReason}` : ''),
          );
        },
      ),
    );
}
