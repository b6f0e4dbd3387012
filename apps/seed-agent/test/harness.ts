import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, loadConfig } from '@seed/config';
import { Redis } from 'ioredis';
import { createApp, startApp } from '../src/bootstrap';
import { createTestDatabase, TestDatabase } from './support/databases';
import { uniquePrefix } from './support/redis';

export const TOKENS = {
  admin: 'admin-secret-0123456789',
  agent: 'agent-secret-0123456789',
  viewer: 'viewer-secret-0123456789',
} as const;
export type TestRole = keyof typeof TOKENS;

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  database: TestDatabase;
  /** JSON request as a role (admin by default); `role: null` sends no token. */
  request(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  role?: TestRole | null;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
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
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'seed-e2e-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_PREFIX: uniquePrefix('e2e'),
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    API_TOKENS: Object.entries(TOKENS)
      .map(([role, secret]) => `${role}:${role}:${secret}`)
      .join(','),
    PIPELINE_SWEEP_INTERVAL: '1000',
    ...env,
  });
  const app = await createApp(config);
  await startApp(app, config);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
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
      if (!reuse?.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const role = options.role === undefined ? 'admin' : options.role;
  const headers: Record<string, string> = { ...options.headers };
  if (role) headers.authorization = `Bearer ${TOKENS[role]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
