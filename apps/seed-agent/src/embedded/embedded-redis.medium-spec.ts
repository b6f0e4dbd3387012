import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import Redis from 'ioredis';
import { eventually } from '../../test/support/start-app.js';
import { EmbeddedRedisUnavailableError, startEmbeddedRedis } from './embedded-redis.js';

const quiet = (): void => undefined;

async function withClient<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** A raw PING: ioredis leaves a 2 s timer behind after a refused connection. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
  });
}

describe('startEmbeddedRedis', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-redis-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('keeps keys in its folder across stop and restart', async () => {
    const dir = join(tempDir(), 'redis');
    const first = await startEmbeddedRedis({ dir, log: quiet });
    expect(first.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    await withClient(first.url, (redis) => redis.set('seed:kept', 'yes'));
    await first.stop();
    expect(await answers(first.port)).toBe(false);

    const second = await startEmbeddedRedis({ dir, log: quiet });
    try {
      expect(await withClient(second.url, (redis) => redis.get('seed:kept'))).toBe('yes');
    } finally {
      await second.stop();
    }
  });

  it('names the install command when redis-server is missing', async () => {
    const start = startEmbeddedRedis({
      dir: tempDir(),
      log: quiet,
      binary: 'redis-server-that-is-not-there',
    });
    await expect(start).rejects.toBeInstanceOf(EmbeddedRedisUnavailableError);
    await expect(start).rejects.toThrow(/apt-get install redis-server.*brew install redis.*REDIS_URL/);
  });

  it('reports a port that is taken when one was asked for', async () => {
    const first = await startEmbeddedRedis({ dir: tempDir(), log: quiet });
    try {
      await expect(startEmbeddedRedis({ dir: tempDir(), log: quiet, port: first.port })).rejects.toThrow(
        /exited with code 1.*in use/,
      );
    } finally {
      await first.stop();
    }
  });

  it('does not outlive a parent that is killed with SIGKILL', async () => {
    // Run the real module in a separate Node process, kill that process hard, and watch its redis go.
    const outfile = join(tempDir(), 'start-redis.mjs');
    buildSync({
      stdin: {
        contents:
          `import { startEmbeddedRedis } from './embedded-redis.ts';\n` +
          `const r = await startEmbeddedRedis({ dir: process.argv[2], log: () => {} });\n` +
          `console.log(r.port);\n`,
        resolveDir: __dirname,
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
    });
    const parent = spawn(process.execPath, [outfile, tempDir()], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) =>
      parent.stdout!.once('data', (d) => resolve(Number(d))),
    );
    expect(await answers(port)).toBe(true);
    parent.kill('SIGKILL');
    await eventually(
      async () => ((await answers(port)) ? undefined : true),
      5000,
      `redis on ${port} to exit`,
    );
  });
});
