import { join } from 'node:path';
import type { AppConfig } from '@seed/config';
import { startEmbeddedPostgres } from './embedded/embedded-postgres.js';
import { startEmbeddedRedis } from './embedded/embedded-redis.js';

export interface ResolvedResources {
  config: AppConfig;
  /** Stops what was started here (embedded servers), after the app has closed its connections. */
  stop(): Promise<void>;
}

/**
 * Fills in DATABASE_URL and REDIS_URL: the configured servers when given, otherwise embedded ones
 * (PGlite in DATA_DIR/pg, a child redis-server in DATA_DIR/redis), so a bare `npm start` works.
 */
export async function resolveResources(
  config: AppConfig,
  log: (m: string) => void,
): Promise<ResolvedResources> {
  const stops: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl) {
      log(`postgres: external (DATABASE_URL ${redactUrl(databaseUrl)})`);
    } else {
      const pg = await startEmbeddedPostgres({ dir: join(config.dataDir, 'pg'), log });
      stops.unshift(pg.stop);
      databaseUrl = pg.url;
      log(`postgres: embedded PGlite in ${join(config.dataDir, 'pg')} at ${pg.url}`);
    }
    let redisUrl = config.redisUrl;
    if (redisUrl) {
      log(`redis: external (REDIS_URL ${redactUrl(redisUrl)})`);
    } else {
      const redis = await startEmbeddedRedis({ dir: join(config.dataDir, 'redis'), log });
      stops.unshift(redis.stop);
      redisUrl = redis.url;
      log(`redis: embedded redis-server in ${join(config.dataDir, 'redis')} at ${redis.url}`);
    }
    return {
      config: Object.freeze({ ...config, databaseUrl, redisUrl }),
      stop: async () => {
        for (const stop of stops) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable)';
  }
}
