import { Command, Option } from 'commander';
import { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../cli-error.js';
import { configPath, readConfigFile, writeConfigFile } from '../config-file.js';
import { parseServerUrl } from '../endpoint.js';
import type { Run } from '../program.js';

const DEFAULT_URL = 'http://127.0.0.1:4000';
const ARGV_REFUSAL =
  'the token is read from stdin, never from arguments (they stay in shell history and show in ps): ' +
  'echo "$TOKEN" | seed-agent login --url <url>';

export function loginCommand(run: Run): Command {
  return new Command('login')
    .description('store the server URL and a token (read from stdin) in the config file')
    .option('--url <url>', `the server (default: SEED_AGENT_URL, else ${DEFAULT_URL})`)
    .addOption(new Option('--token <token>').hideHelp())
    .argument('[token...]')
    .action(
      run(async (ctx, extra: string[], options: { url?: string; token?: string }) => {
        if (extra.length || options.token !== undefined)
          throw new CliError(ARGV_REFUSAL, EXIT.usage, 'token_in_argv');
        const url = parseServerUrl(options.url ?? (ctx.env.SEED_AGENT_URL || DEFAULT_URL));
        const path = configPath(ctx.env);
        readConfigFile(path); // refuses an existing file others could read before anything is written
        const token = await readToken();
        const me = await new ApiClient(url, token).get('/modules?limit=1'); // a wrong token fails here, not later
        const base = url.toString().replace(/\/+$/, '');
        writeConfigFile(path, { url: base, token });
        ctx.out.data({ url: base, configFile: path, modules: me?.total ?? null });
        ctx.out.line(`logged in to ${base}; saved to ${path} (mode 600)`);
      }),
    );
}

/** The whole of stdin when piped; one line, not echoed, at a terminal. */
async function readToken(): Promise<string> {
  const stdin = process.stdin;
  const raw = stdin.isTTY ? await promptHidden('Token: ') : await readAll(stdin);
  const token = raw.trim();
  if (!token) throw new CliError('no token on stdin', EXIT.usage, 'no_token');
  if (/\s/.test(token))
    throw new CliError(
      'the token on stdin has whitespace inside: one token expected',
      EXIT.usage,
      'bad_token',
    );
  return token;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new CliError('cancelled', EXIT.usage, 'cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
