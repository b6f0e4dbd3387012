#!/usr/bin/env node
import { CommanderError, type Command } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import type { CliEnv } from './config-file.js';
import type { Context } from './context.js';
import { buildProgram } from './program.js';
import { Output } from './terminal.js';

/** The variables the CLI reads: its own, nothing of the service's configuration. */
function cliEnv(): CliEnv {
  // eslint-disable-next-line no-restricted-properties -- the CLI is a client, not the service: @seed/config is not its configuration
  const { SEED_AGENT_URL, SEED_AGENT_TOKEN, XDG_CONFIG_HOME, HOME, NO_COLOR } = process.env;
  return { SEED_AGENT_URL, SEED_AGENT_TOKEN, XDG_CONFIG_HOME, HOME, NO_COLOR };
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

async function main(argv: string[]): Promise<number> {
  const last: { ctx?: Context } = {};
  const program = buildProgram(cliEnv(), last);
  for (const command of everyCommand(program)) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return last.ctx?.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError)
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? EXIT.ok
        : EXIT.usage; // commander has printed the message
    const json = last.ctx?.out.json ?? argv.includes('--json');
    const out = new Output(json);
    if (error instanceof CliError) {
      if (json)
        process.stdout.write(
          `${JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } })}\n`,
        );
      out.error(error.message);
      return error.exitCode;
    }
    out.error(error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
