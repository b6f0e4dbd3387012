import { Command } from 'commander';
import { readText } from '../files.js';
import type { Run } from '../program.js';
import { resolveVersion } from '../version-ref.js';
import { submitAndFollow, type Submitted } from '../version-outcome.js';

export function pushCommand(run: Run): Command {
  return new Command('push')
    .description('submit a new version of a module; --watch follows it through the stages to its outcome')
    .argument('<file>', 'the source (TypeScript; - for stdin)')
    .requiredOption('-m, --module <name>', 'the module')
    .option('--activate', 'activate it once every gate passes')
    .option('--rationale <text>', 'why this version')
    .option('--parent <version>', 'the version it improves (default: the active one)')
    .option('--dry-run', 'run the gates, store nothing active')
    .option('--idempotency-key <key>', 'a retry with the same key returns the first submission')
    .option('-w, --watch', 'stream the stages and end with the outcome (exit 1 on rejection)')
    .action(
      run(
        async (
          ctx,
          file: string,
          options: {
            module: string;
            activate?: boolean;
            rationale?: string;
            parent?: string;
            dryRun?: boolean;
            idempotencyKey?: string;
            watch?: boolean;
          },
        ) => {
          const client = ctx.client();
          const module = options.module;
          const body = {
            source: readText(file, 'source'),
            activate: options.activate ?? false,
            ...(options.rationale !== undefined ? { rationale: options.rationale } : {}),
            ...(options.parent
              ? { parentVersionId: await resolveVersion(client, module, options.parent) }
              : {}),
            ...(options.dryRun ? { dryRun: true } : {}),
          };
          const submit = (): Promise<Submitted> =>
            client.request('POST', `/modules/${encodeURIComponent(module)}/versions`, body, {
              ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
            });
          if (options.watch) {
            await submitAndFollow(ctx, module, submit, ctx.timeoutMs);
            return;
          }
          const submitted = await submit();
          ctx.out.data(submitted);
          ctx.out.line(
            `submitted ${module}@${submitted.seq} (${submitted.versionId}); follow it with --watch or`,
          );
          ctx.out.line(`  seed-agent versions show ${module} ${submitted.versionId}`);
        },
      ),
    );
}
