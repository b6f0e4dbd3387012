import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../../src/embedded/free-port';

export interface PrivatePostgres {
  readonly url: string;
  /** Simulates an outage: fast shutdown, connections are cut. */
  stop(): Promise<void>;
  /** Ends the outage on the same port with the same data. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  const dir = join('/usr/lib/postgresql', versions[versions.length - 1], 'bin');
  if (!existsSync(join(dir, 'initdb'))) throw new Error(`no initdb in ${dir}`);
  return dir;
}

/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl in a temp dir, free port), for tests that stop the
 * database; never the shared one. PostgreSQL refuses to run as root, so as root it runs as `postgres`.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'seed-test-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, tool), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const log = join(dir, 'log');
  let port = 0;
  const start = async () => {
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-l', log, 'start']);
  };
  const stop = async () => {
    run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  // A free port can be taken by a parallel test between the check and the bind: try another one.
  for (let attempt = 1; ; attempt++) {
    port = await getFreePort();
    try {
      await start();
      break;
    } catch (error) {
      const said = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      if (attempt >= 3) throw new Error(`${(error as Error).message}\n${said}`, { cause: error });
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async dispose() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
