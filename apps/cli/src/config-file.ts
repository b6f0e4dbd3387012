import {
  chmodSync,
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './cli-error.js';
import { parseServerUrl } from './endpoint.js';

export interface StoredLogin {
  url: string;
  token: string;
}

/** The environment the CLI reads (passed in from main, so nothing else touches process.env). */
export interface CliEnv {
  SEED_AGENT_URL?: string;
  SEED_AGENT_TOKEN?: string;
  XDG_CONFIG_HOME?: string;
  HOME?: string;
  NO_COLOR?: string;
}

export function configPath(env: CliEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'seed-agent', 'config.json');
}

/** The stored login, or null when there is none. Refuses a file other users could read or replace. */
export function readConfigFile(path: string): StoredLogin | null {
  let fd: number;
  try {
    if (lstatSync(path).isSymbolicLink())
      throw new CliError(
        `${path} is a symbolic link: refusing to read a token through it`,
        EXIT.usage,
        'unsafe_config',
      );
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if ((stat.mode & 0o077) !== 0)
      throw new CliError(
        `${path} is readable or writable by other users (mode ${(stat.mode & 0o777).toString(8)}): ` +
          `it holds a token; run chmod 600 ${path} (and consider revoking the token)`,
        EXIT.usage,
        'unsafe_config',
      );
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid())
      throw new CliError(`${path} belongs to another user`, EXIT.usage, 'unsafe_config');
    const parsed = JSON.parse(readFileSync(fd, 'utf8')) as Partial<StoredLogin>;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string')
      throw new CliError(`${path} has no url and token: run seed-agent login`, EXIT.usage, 'bad_config');
    return { url: parsed.url, token: parsed.token };
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new CliError(`${path} is not JSON: run seed-agent login`, EXIT.usage, 'bad_config');
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** Writes the login atomically with mode 0600 in a 0700 directory. */
export function writeConfigFile(path: string, login: StoredLogin): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600); // the umask may have narrowed it further, never widened: make it exact
  renameSync(temp, path);
}

/** Where commands send requests: the environment overrides the stored login, field by field. */
export function resolveLogin(env: CliEnv): { url: URL; token: string } {
  const url = env.SEED_AGENT_URL;
  const token = env.SEED_AGENT_TOKEN;
  const stored = url && token ? null : readConfigFile(configPath(env));
  const resolvedUrl = url || stored?.url;
  const resolvedToken = token || stored?.token;
  if (!resolvedUrl || !resolvedToken)
    throw new CliError(
      'not logged in: run `seed-agent login --url <url>` (token on stdin) or set SEED_AGENT_URL and SEED_AGENT_TOKEN',
      EXIT.usage,
      'not_logged_in',
    );
  return { url: parseServerUrl(resolvedUrl), token: resolvedToken };
}
