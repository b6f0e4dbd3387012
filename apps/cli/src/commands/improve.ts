import { Command, Option } from 'commander';
import { positiveInt, readJson } from '../files.js';
import { follow } from '../follow.js';
import type { Run } from '../program.js';
import { reportRun, runEvent, runSettled } from './improvement-run.js';

export function improveCommand(run: Run): Command {
  return new Command('improve')
    .description('start an improvement run of a module toward a goal; --watch follows its rounds')
    .argument('<module>')
    .requiredOption('-g, --goal <text>', 'what the improvement should achieve')
    .option('--tests <file>', 'cases of the goal: a JSON array of {name, input, expect?}')
    .option('--max-attempts <n>', 'the rounds, when --rounds is absent (one candidate each)', positiveInt)
    .option('--model <spec>', 'provider or provider:model')
    .option(
      '--rounds <n>',
      'rounds of candidates (default: --max-attempts, else AGENT_MAX_ATTEMPTS)',
      positiveInt,
    )
    .option('--candidates <n>', 'candidates per round (default 1)', positiveInt)
    .addOption(
      new Option('--parent-selection <how>', 'parents from (default active)').choices(['active', 'archive']),
    )
    .addOption(new Option('--edit <kind>', 'edits as (default auto)').choices(['diff', 'rewrite', 'auto']))
    .option('-w, --watch', 'stream the rounds and end with the run (exit 1 unless it activated or solved)')
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
            client.post<{ runId: string; jobId: string }>(
              `/modules/${encodeURIComponent(module)}/improve`,
              body,
            );
          if (!o.watch) {
            const started = await start();
            ctx.out.data(started);
            ctx.out.line(
              `started run ${started.runId}; follow it with --watch or GET /improvements/${started.runId}`,
            );
            return;
          }
          const { result: run } = await follow(ctx, {
            module,
            what: 'the improvement',
            timeoutMs: ctx.timeoutMs,
            start: async () => {
              const started = await start();
              ctx.out.progress(`started run ${started.runId}`);
              return started;
            },
            onEvent: (event, started) => runEvent(ctx, event, started.runId),
            settled: (started) => runSettled(client, started.runId),
          });
          reportRun(ctx, module, run);
        },
      ),
    );
}
