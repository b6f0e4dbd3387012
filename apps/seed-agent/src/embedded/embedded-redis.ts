import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { getFreePort } from './free-port.js';

export interface EmbeddedRedisOptions {
  /** Data folder (DATA_DIR/redis); created when missing. The append-only file lives here. */
  dir: string;
  log: (message: string) => void;
  /** Command name (looked up on PATH) or path of the redis-server binary. */
  binary?: string;
  /** Fixed port (tests that restart it in place); default: a free loopback port. */
  port?: number;
  /** How long to wait until it answers (a big append-only file takes a while to load). */
  readyTimeoutMs?: number;
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  /** SIGTERM (Redis flushes its append-only file), SIGKILL if it has not exited after 5 s. */
  stop(): Promise<void>;
}

export class EmbeddedRedisUnavailableError extends Error {
  constructor(binary: string) {
    super(
      `No REDIS_URL is set and "${binary}" was not found, so the embedded Redis cannot start. ` +
        'Install it (apt-get install redis-server / brew install redis) or set REDIS_URL to an existing Redis.',
    );
    this.name = 'EmbeddedRedisUnavailableError';
  }
}

/**
 * Redis does not notice its parent dying, so it runs under a one-line sh watchdog: sh keeps our stdin pipe
 * on fd 3, forks a reader, then execs redis-server (same pid). When this process exits for any reason,
 * even SIGKILL, the pipe reaches EOF and the reader sends redis SIGTERM.
 */
const WATCHDOG = 'exec 3<&0; (read _ <&3; kill -TERM $$) >/dev/null 2>&1 & exec "$0" "$@" 3<&- </dev/null';

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const { dir, log, binary = 'redis-server' } = options;
  mkdirSync(dir, { recursive: true });
  const version = await redisVersion(binary);
  // A free port can be taken before redis binds it; with a chosen port there is nothing to retry.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await getFreePort());
    try {
      const redis = await launch({ ...options, binary, port });
      log(`embedded redis ${version} serving ${dir} on 127.0.0.1:${port}`);
      return redis;
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !/in use/i.test(String(error))) throw error;
    }
  }
}

async function launch(
  options: EmbeddedRedisOptions & { binary: string; port: number },
): Promise<EmbeddedRedis> {
  const { dir, log, binary, port } = options;
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'],
    // Every write goes to the append-only file (fsync each second): queued jobs survive a restart.
    ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    ...['--logfile', '', '--loglevel', 'warning'],
  ];
  // detached: its own process group, so a terminal's Ctrl-C reaches only us and we stop it after the
  // queues have drained (it still dies with us through the watchdog).
  const child = spawn('sh', ['-c', WATCHDOG, binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      output.push(line);
      if (output.length > 20) output.shift();
      log(`redis: ${line}`);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // 'close' comes after the last output line, which says why it failed ("Address already in use").
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // Covers process.exit() and the end of the event loop; the watchdog covers signals and crashes.
  const killOnExit = (): void => void child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const ready = await Promise.race([
    waitForOwnRedis(port, child, options.readyTimeoutMs ?? 10_000),
    closed.then((code) => new Error(`redis-server exited with code ${code}: ${output.join(' | ')}`)),
  ]);
  if (ready instanceof Error) {
    child.stdin?.destroy();
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw ready;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        // Closing the pipe first makes the watchdog signal a live redis (no pid-reuse window) and exit.
        child.stdin?.destroy();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        log('embedded redis stopped');
      })();
      return stopping;
    },
  };
}

/** Also the availability check: spawn reports ENOENT for a missing binary, which sh -c would hide. */
async function redisVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(binary, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new EmbeddedRedisUnavailableError(binary) : error),
    );
    child.once('close', () => resolve(/v=(\S+)/.exec(text)?.[1] ?? 'unknown version'));
  });
}

async function waitForOwnRedis(port: number, child: ChildProcess, timeoutMs: number): Promise<true | Error> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    if ((await serverPid(port)) === child.pid) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * The process id of the Redis answering on `port`, or undefined while refused or loading. A bare PING is
 * not enough: when our child fails to bind, another Redis already on that port would answer it.
 */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    const finish = (pid?: number): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => finish());
    socket.once('error', () => finish());
    socket.once('close', () => finish());
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (data) => {
      text += data.toString();
      if (text.startsWith('-')) return finish(); // -LOADING: not ready yet
      const match = /process_id:(\d+)\r\n/.exec(text);
      if (match) finish(Number(match[1]));
    });
  });
}
