import type { WireObject } from '../api-client.js';
import { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { positiveInt, readJson } from '../files.js';
import { follow } from '../follow.js';
import type { Run } from '../program.js';

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
    .option('-w, --watch', 'stream the attempts and end with the outcome (exit 1 unless improved or held)')
    .action(
      run(
        async (
          ctx,
          module: string,
          o: { goal: string; tests?: string; maxAttempts?: number; model?: string; watch?: boolean },
        ) => {
          const client = ctx.client();
          const body = {
            goal: o.goal,
            ...(o.tests ? { tests: readJson(o.tests, 'tests') } : {}),
            ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
            ...(o.model ? { model: o.model } : {}),
          };
          const start = () =>
            client.post<{ jobId: string }>(`/modules/${encodeURIComponent(module)}/improve`, body);
          if (!o.watch) {
            const job = await start();
            ctx.out.data(job);
            ctx.out.line(`queued ${job.jobId}; follow it with --watch or GET /jobs/${job.jobId}`);
            return;
          }
          const { result: job } = await follow(ctx, {
            module,
            what: 'the improvement',
            timeoutMs: ctx.timeoutMs,
            start: async () => {
              const job = await start();
              ctx.out.progress(`queued ${job.jobId}`);
              return job;
            },
            onEvent: (event, job) => {
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
              const view = await client.get(`/jobs/${job.jobId}`);
              return ['completed', 'failed'].includes(view.state) ? (view as WireObject) : undefined;
            },
          });
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
