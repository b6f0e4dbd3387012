import { Command } from 'commander';
import { eventStream, type ServerEvent } from '../event-stream.js';
import { positiveInt } from '../files.js';
import type { Run } from '../program.js';

const HOUSEKEEPING = new Set(['ready', 'heartbeat']);

export function eventsCommand(run: Run): Command {
  return new Command('events')
    .description('tail the live events (submissions, stages, rejections, activations, the agent)')
    .option('-m, --module <name>', 'only this module')
    .option('-t, --type <type...>', 'only these types; a trailing * matches a prefix (version.*)')
    .option('-n, --count <n>', 'exit after this many events', positiveInt)
    .action(
      run(async (ctx, o: { module?: string; type?: string[]; count?: number }) => {
        const wanted = (event: ServerEvent) =>
          o.type
            ? o.type.some((t) => (t.endsWith('*') ? event.type.startsWith(t.slice(0, -1)) : event.type === t))
            : !HOUSEKEEPING.has(event.type);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        let seen = 0;
        for await (const event of eventStream(ctx.client(), { module: o.module, signal: abort.signal })) {
          if (event.type === 'ready') ctx.out.progress(`listening on ${event.data.node}…`);
          if (!wanted(event)) continue;
          ctx.out.data({ type: event.type, ...event.data });
          ctx.out.line(describe(event));
          if (o.count !== undefined && ++seen >= o.count) abort.abort();
        }
      }),
    );
}

function describe({ type, data }: ServerEvent): string {
  const { at, node, module, versionId, ...rest } = data;
  delete rest.type;
  const what = [module, versionId].filter(Boolean).join(' ');
  return `${at ?? ''} ${type} ${what} ${Object.keys(rest).length ? JSON.stringify(rest) : ''}${node ? ` [${node}]` : ''}`.trim();
}
