import { Command } from 'commander';
import { parseJson, readJson } from '../files.js';
import type { Run } from '../program.js';

export function invokeCommand(run: Run): Command {
  return new Command('invoke')
    .description("call a module's active version")
    .argument('<module>')
    .option('-i, --input <json>', 'the input as JSON', 'null')
    .option('--input-file <file>', 'the input from a JSON file (- for stdin)')
    .option('--debug', "return the call's ctx.log lines")
    .action(
      run(async (ctx, module: string, o: { input: string; inputFile?: string; debug?: boolean }) => {
        const input = o.inputFile ? readJson(o.inputFile, 'input') : parseJson(o.input, '--input');
        const answer = await ctx.client().post(`/modules/${encodeURIComponent(module)}/invoke`, {
          input,
          ...(o.debug ? { debug: true } : {}),
        });
        ctx.out.data(answer);
        ctx.out.pretty(answer.output);
        ctx.out.progress(`served by ${answer.versionId}`);
        for (const line of answer.logs ?? []) ctx.out.progress(`log: ${line}`);
      }),
    );
}
