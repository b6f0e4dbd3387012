import type { WireObject } from '../api-client.js';
import { Command } from 'commander';
import type { Context } from '../context.js';
import type { Run } from '../program.js';
import { fields, safeText, table } from '../terminal.js';
import { versionRef } from '../version-ref.js';
import { diagnosticLine } from '../version-outcome.js';

const path = (module: string) => `/modules/${encodeURIComponent(module)}`;

export function versionsCommand(run: Run): Command {
  const versions = new Command('versions').description('list, show and diff the versions of a module');
  versions
    .command('ls <module>')
    .description('versions, newest first')
    .option('--limit <n>', 'at most this many', '50')
    .option('--offset <n>', 'skip this many', '0')
    .action(
      run(async (ctx, module: string, options: { limit: string; offset: string }) => {
        const page = await ctx
          .client()
          .get(`${path(module)}/versions?limit=${Number(options.limit)}&offset=${Number(options.offset)}`);
        ctx.out.data(page);
        ctx.out.line(
          table(
            ['SEQ', 'STATUS', 'SCORE', 'AUTHOR', 'CREATED', 'ID', 'RATIONALE'],
            page.items.map((v: WireObject) => [
              v.seq,
              v.status,
              v.score ? `${v.score.passed}/${v.score.total}` : null,
              v.author,
              v.createdAt,
              v.id,
              oneLine(v.rationale),
            ]),
          ),
        );
      }),
    );
  versions
    .command('show <module> <version>')
    .description('a version (id, sequence number, "active" or "latest"): status, diagnostics, source')
    .option('--no-source', 'leave the source out')
    .action(
      run(async (ctx, module: string, ref: string, options: { source: boolean }) => {
        const v = await ctx.client().get(`${path(module)}/versions/${encodeURIComponent(versionRef(ref))}`);
        ctx.out.data(v);
        ctx.out.line(
          fields([
            ['version', `${module}@${v.seq}`],
            ['id', v.id],
            ['status', v.status],
            ['parent', v.parentId],
            ['author', v.author],
            ['rationale', v.rationale],
            ['score', v.score ? `${v.score.passed}/${v.score.total}` : null],
            ['sha256', v.sha256],
            ['created', v.createdAt],
          ]),
        );
        for (const d of v.diagnostics ?? []) ctx.out.line(`  ${diagnosticLine(d)}`);
        if (options.source) {
          ctx.out.line();
          ctx.out.line(v.source);
        }
      }),
    );
  versions
    .command('diff <module> <version> [base]')
    .description('unified diff of a version against its parent, or against a base version')
    .action(
      run(async (ctx, module: string, ref: string, base?: string) => {
        const against = base === undefined ? 'parent' : versionRef(base);
        const v = await ctx
          .client()
          .get(
            `${path(module)}/versions/${encodeURIComponent(versionRef(ref))}?diff=${encodeURIComponent(against)}`,
          );
        ctx.out.data({ id: v.id, seq: v.seq, parentId: v.parentId, diff: v.diff });
        if (!ctx.out.json) printDiff(ctx, v.diff);
      }),
    );
  return versions;
}

/** Colours are added after sanitising, so only ours reach the terminal. */
function printDiff(ctx: Context, diff: string): void {
  const colour = process.stdout.isTTY && !ctx.env.NO_COLOR;
  for (const raw of diff.replace(/\n$/, '').split('\n')) {
    const line = safeText(raw);
    const code = !colour
      ? ''
      : line.startsWith('+')
        ? '32'
        : line.startsWith('-')
          ? '31'
          : line.startsWith('@@')
            ? '36'
            : '';
    process.stdout.write(code ? `\x1b[${code}m${line}\x1b[0m\n` : `${line}\n`);
  }
}

function oneLine(text: unknown): string | null {
  if (typeof text !== 'string' || !text) return null;
  const first = text.split('\n')[0];
  return first.length > 60 ? `${first.slice(0, 59)}…` : first;
}

export function activateCommand(run: Run): Command {
  return new Command('activate')
    .description('make a version (id, sequence number, "latest") the active one')
    .argument('<module>')
    .argument('<version>')
    .action(
      run(async (ctx, module: string, ref: string) => {
        const body = { versionId: versionRef(ref) };
        reportSwitch(ctx, 'activated', await ctx.client().post(`${path(module)}/activate`, body));
      }),
    );
}

export function rollbackCommand(run: Run): Command {
  return new Command('rollback')
    .description('go back to the version active before the current one (or --to a version)')
    .argument('<module>')
    .option('--to <version>', 'the version to go back to (id, sequence number)')
    .action(
      run(async (ctx, module: string, options: { to?: string }) => {
        const body = options.to ? { versionId: versionRef(options.to) } : {};
        reportSwitch(ctx, 'rolled back', await ctx.client().post(`${path(module)}/rollback`, body));
      }),
    );
}

function reportSwitch(ctx: Context, verb: string, result: WireObject): void {
  ctx.out.data(result);
  ctx.out.line(
    `${result.module} ${verb}: @${result.seq} ${result.activeVersionId} is active (was ${result.previousVersionId ?? '-'})`,
  );
}
