import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { NewVersion } from '@seed/code-store';
import { AppConfig, ConfigModule, loadConfig } from '@seed/config';
import { PersistenceModule, RedisModule } from '@seed/persistence';
import { TelemetryModule } from '@seed/telemetry';
import { clearPrefix } from '../harness';
import { createTestDatabase, type TestDatabase } from './databases';
import { uniquePrefix } from './redis';

export interface MediumContext {
  module: TestingModule;
  config: AppConfig;
  database: TestDatabase;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

/**
 * Services of the given Nest modules on a fresh database of the machine's PostgreSQL and their own Redis
 * key prefix: no HTTP and no app boot. Lifecycle hooks (workers, reconciler boot) run only with `init`.
 */
export async function startMedium(
  imports: Array<Type<unknown> | DynamicModule>,
  options: { env?: Record<string, string>; init?: boolean; database?: TestDatabase } = {},
): Promise<MediumContext> {
  const database = options.database ?? (await createTestDatabase('seed_medium'));
  const dataDir = mkdtempSync(join(tmpdir(), 'seed-medium-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: uniquePrefix('medium'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    API_TOKENS: 'admin:admin:admin-secret-0123456789',
    ...options.env,
  });
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      TelemetryModule,
      PersistenceModule.forRoot(config),
      RedisModule,
      ...imports,
    ],
  })
    .setLogger({ log() {}, error() {}, warn() {}, debug() {}, verbose() {} })
    .compile();
  if (options.init) await module.init();
  return {
    module,
    config,
    database,
    get: (type) => module.get(type, { strict: false }),
    async close() {
      await module.close();
      await clearPrefix(config.redisUrl!, config.redisPrefix);
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An admin's version as the code store takes it: override what the test is about. */
export function adminVersion(source: string, overrides: Partial<NewVersion> = {}): NewVersion {
  return {
    parentId: null,
    source,
    author: 'admin:test',
    authorRole: 'admin',
    activateRequested: true,
    dryRun: false,
    ...overrides,
  };
}
