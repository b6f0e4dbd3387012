import { Command } from 'commander';
import type { Context } from '../context.js';
import { readText } from '../files.js';
import type { Run } from '../program.js';
import { versionRef } from '../version-ref.js';
import { submitAndFollow, submitAndWait, type Submitted } from '../version-outcome.js';

export function pushCommand(run: Run): Command {
  return new Command('push')
    .description('submit a new version of a module and wait for its outcome; --watch streams the stages')
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
            ...(options.parent ? { parentVersionId: versionRef(options.parent) } : {}),
            ...(options.dryRun ? { dryRun: true } : {}),
          };
          const submit = (headers: Record<string, string> = {}): Promise<Submitted> =>
            client.request('POST', `/modules/${encodeURIComponent(module)}/versions`, body, {
              ...headers,
              ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
            });
          if (options.watch) {
            await submitAndFollow(ctx, module, () => submit(), ctx.timeoutMs);
            return;
          }
          const undecided = await submitAndWait(ctx, module, submit);
          if (undecided) reportUndecided(ctx, module, undecided);
        },
      ),
    );
}

/** The pipeline took longer than `Prefer: wait`: where to look for the outcome. */
export function reportUndecided(ctx: Context, module: string, submitted: Submitted): void {
  ctx.out.data(submitted);
  ctx.out.line(`submitted ${module}@${submitted.seq} (${submitted.versionId}), still in the pipeline; see`);
  ctx.out.line(`  seed-agent versions show ${module} ${submitted.versionId}`);
}
