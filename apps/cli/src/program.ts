import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { activateCommand, rollbackCommand, versionsCommand } from './commands/versions.js';
import { eventsCommand } from './commands/events.js';
import { improveCommand } from './commands/improve.js';
import { invokeCommand } from './commands/invoke.js';
import { loginCommand } from './commands/login.js';
import { modulesCommand } from './commands/modules.js';
import { pushCommand } from './commands/push.js';
import { rolloutCommand } from './commands/rollout.js';
import { completionScript } from './completion.js';
import type { CliEnv } from './config-file.js';
import { createContext, type Context } from './context.js';
import { seconds } from './files.js';

/** Wraps a command's action: the context from the global options, the positional arguments and options. */
export type Run = <A extends unknown[]>(
  action: (ctx: Context, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

const DEFAULT_TIMEOUT = '300';

/** The whole `seed-agent` command tree; `last.ctx` is the context of the command that ran. */
export function buildProgram(env: CliEnv, last: { ctx?: Context } = {}): Command {
  const run: Run =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<{ json?: boolean; timeout: string }>();
      last.ctx = createContext(env, globals.json === true, seconds(globals.timeout));
      await action(last.ctx, ...(args.slice(0, -1) as A));
    };

  const program = new Command('seed-agent')
    .description('Drive a Seed Agent server: modules, versions, rollouts, the agent, live events')
    .option('--json', 'machine-readable output (one JSON document; events: one per line)')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for an outcome').default(DEFAULT_TIMEOUT))
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError();

  for (const command of [
    loginCommand(run),
    modulesCommand(run),
    pushCommand(run),
    versionsCommand(run),
    activateCommand(run),
    rollbackCommand(run),
    improveCommand(run),
    rolloutCommand(run),
    eventsCommand(run),
    invokeCommand(run),
  ])
    program.addCommand(command);

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
  return program;
}

/** The package's version: main.js is dist/apps/cli/src/main.js, four levels below the package root. */
function packageVersion(): string {
  try {
    return (
      JSON.parse(
        readFileSync(join(dirname(realpathSync(process.argv[1])), '../../../../package.json'), 'utf8'),
      ) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}
