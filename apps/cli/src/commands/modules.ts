import type { WireObject } from '../api-client.js';
import { Command } from 'commander';
import { readJson, readText } from '../files.js';
import type { Run } from '../program.js';
import { fields, table } from '../terminal.js';
import { submitAndFollow, submitAndWait, type Submitted } from '../version-outcome.js';
import { reportUndecided } from './push.js';

export function modulesCommand(run: Run): Command {
  const modules = new Command('modules').description('list, show and create modules');
  modules
    .command('ls')
    .description('list modules')
    .option('--limit <n>', 'at most this many', '50')
    .option('--offset <n>', 'skip this many', '0')
    .action(
      run(async (ctx, options: { limit: string; offset: string }) => {
        const page = await ctx
          .client()
          .get(`/modules?limit=${Number(options.limit)}&offset=${Number(options.offset)}`);
        ctx.out.data(page);
        ctx.out.line(
          table(
            ['NAME', 'ACTIVE VERSION', 'UPDATED'],
            page.items.map((m: WireObject) => [m.name, m.activeVersionId, m.updatedAt]),
          ),
        );
        if (page.total > page.items.length + page.offset)
          ctx.out.line(`(${page.total} in all: --offset to page)`);
      }),
    );
  modules
    .command('show <name>')
    .description('a module: active version, version counts, settings')
    .action(
      run(async (ctx, name: string) => {
        const m = await ctx.client().get(`/modules/${encodeURIComponent(name)}`);
        ctx.out.data(m);
        ctx.out.line(
          fields([
            ['name', m.name],
            ['active', m.activeVersionId ? `@${m.activeSeq} ${m.activeVersionId}` : null],
            ['versions', m.versions],
            ['settings', m.settings],
            ['created', m.createdAt],
            ['updated', m.updatedAt],
          ]),
        );
      }),
    );
  modules
    .command('create <name>')
    .description("create a module and wait for its first version's outcome")
    .requiredOption('--source <file>', 'the module source (TypeScript; - for stdin)')
    .option('--tests <file>', 'test cases: a JSON array of {name, input, expect?}')
    .option('-w, --watch', 'stream the stages on the way')
    .action(
      run(async (ctx, name: string, options: { source: string; tests?: string; watch?: boolean }) => {
        const body = {
          name,
          source: readText(options.source, 'source'),
          tests: options.tests ? readJson(options.tests, 'tests') : [],
        };
        const submit = (headers: Record<string, string> = {}) =>
          ctx.client().request<Submitted>('POST', '/modules', body, headers);
        if (options.watch) return void (await submitAndFollow(ctx, name, () => submit(), ctx.timeoutMs));
        const undecided = await submitAndWait(ctx, name, submit);
        if (undecided) reportUndecided(ctx, name, undecided);
      }),
    );
  return modules;
}
