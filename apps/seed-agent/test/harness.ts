import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, loadConfig } from '@seed/config';
import { Redis } from 'ioredis';
import { createApp, startApp } from '../src/bootstrap';
import { createTestDatabase, TestDatabase } from './support/databases';
import { uniquePrefix } from './support/redis';
import {
  appEnv,
  eventually,
  removeDir,
  request,
  startInProcess,
  tempDataDir,
  type JsonResponse,
  type RequestOptions,
  type Role,
} from './support/start-app';

export { API_TOKENS, eventually, request, SHARED_REDIS_URL, TOKENS } from './support/start-app';
export type { RequestOptions } from './support/start-app';
export type TestRole = Role;
export type TestResponse = JsonResponse;

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  database: TestDatabase;
  /** JSON request as a role (admin by default); `role: null` sends no token. */
  request(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/**
 * The real app in this process, on a fresh database of the machine's PostgreSQL and its own Redis key
 * prefix, listening on a free loopback port.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  reuse?: { database?: TestDatabase; dataDir?: string },
): Promise<TestApp> {
  const database = reuse?.database ?? (await createTestDatabase());
  const dataDir = reuse?.dataDir ?? tempDataDir('seed-e2e-');
  const { app, config, url } = await startInProcess(
    { loadConfig, createApp, startApp },
    {
      ...appEnv({
        databaseUrl: database.url,
        redisPrefix: uniquePrefix('e2e'),
        dataDir,
        logLevel: process.env.TEST_LOG_LEVEL,
      }),
      PIPELINE_SWEEP_INTERVAL: '1000',
      ...env,
    },
  );
  return {
    app,
    config,
    url,
    database,
    request: (method, path, body, options = {}) => request(url, method, path, body, options),
    close: async () => {
      await app.close();
      await clearPrefix(config.redisUrl!, config.redisPrefix);
      if (!reuse?.database) await database.drop();
      if (!reuse?.dataDir) removeDir(dataDir);
    },
  };
}

/** Waits for a submission's job to finish and returns the version. */
export async function settledVersion(app: TestApp, module: string, versionId: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const job = await app.request('GET', `/jobs/${versionId}`);
      if (!['completed', 'failed'].includes(job.body?.state)) return undefined;
      return (await app.request('GET', `/modules/${module}/versions/${versionId}`)).body;
    },
    timeoutMs,
    `version ${versionId} to settle`,
  );
}

/** Creates a module (POST /modules) and waits until its first version is active; answers that version's id. */
export async function createLiveModule(app: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await app.request('POST', '/modules', body);
  expect(res.status).toBe(201);
  expect((await settledVersion(app, String(body.name), res.body.versionId)).status).toBe('active');
  return res.body.versionId as string;
}

/** Deletes every Redis key under `prefix` (best effort: prefixes are unique per test anyway). */
export async function clearPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // best effort: keys are namespaced per test anyway
  } finally {
    redis.disconnect();
  }
}
