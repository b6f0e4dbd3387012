import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Simulates an outage: the port stops answering. */
  stop(): Promise<void>;
  /** Ends the outage on the same port, with the data written before it. */
  start(): Promise<void>;
  /** A Redis that lost everything: stopped, its data deleted, started again empty on the same port. */
  restartEmpty(): Promise<void>;
  /** Stops it and deletes its data folder. */
  dispose(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, for tests that break Redis; never the shared one on
 * 6379. Uses the app's embedded-redis launcher, so it dies with the test process.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'seed-test-redis-'));
  const log = (): void => undefined;
  let current: EmbeddedRedis | undefined = await startEmbeddedRedis({ dir, log });
  const { port, url } = current;
  const stop = async (): Promise<void> => {
    await current?.stop();
    current = undefined;
  };
  return {
    url,
    port,
    stop,
    async start() {
      current ??= await startEmbeddedRedis({ dir, log, port });
    },
    async restartEmpty() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      current = await startEmbeddedRedis({ dir, log, port });
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A key prefix no other test run uses (for ioredis keyPrefix or a BullMQ prefix); ends without ':'. */
export function uniquePrefix(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '-');
  return `test-${safe}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
