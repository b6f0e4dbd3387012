import { ENTITIES } from '@seed/code-store';
import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { ActivationCommitOrder1764100000000 } from './migrations/1764100000000-activation-commit-order.js';
import { ModuleVersionAuthorRole1764200000000 } from './migrations/1764200000000-module-version-author-role.js';
import { VersionStatusActivating1764300000000 } from './migrations/1764300000000-version-status-activating.js';
import { VersionGoalCases1764410000000 } from './migrations/1764410000000-version-goal-cases.js';
import { AuditDenialCounts1764420000000 } from './migrations/1764420000000-audit-denial-counts.js';
import { IdempotencyScope1764420000001 } from './migrations/1764420000001-idempotency-scope.js';
import { ApiTokens1764500000000 } from './migrations/1764500000000-api-tokens.js';
import { ImprovementRuns1764514000001 } from './migrations/1764514000001-improvement-runs.js';
import { CascadeCases1764514000000 } from './migrations/1764514000000-cascade-cases.js';
import { Rollouts1764520000000 } from './migrations/1764520000000-rollouts.js';
import { ModuleState1764530000000 } from './migrations/1764530000000-module-state.js';
import { CaseFixtures1764530000001 } from './migrations/1764530000001-case-fixtures.js';
import { ModuleSecrets1764530000002 } from './migrations/1764530000002-module-secrets.js';
import { OneRunningImprovement1764610000000 } from './migrations/1764610000000-one-running-improvement.js';
import { ActivationWatches1764620000000 } from './migrations/1764620000000-activation-watches.js';
import { ModuleStateSet1764630000000 } from './migrations/1764630000000-module-state-set.js';

export const MIGRATIONS = [
  InitialSchema1764000000000,
  ActivationCommitOrder1764100000000,
  ModuleVersionAuthorRole1764200000000,
  VersionStatusActivating1764300000000,
  VersionGoalCases1764410000000,
  AuditDenialCounts1764420000000,
  IdempotencyScope1764420000001,
  ApiTokens1764500000000,
  CascadeCases1764514000000,
  ImprovementRuns1764514000001,
  Rollouts1764520000000,
  ModuleState1764530000000,
  CaseFixtures1764530000001,
  ModuleSecrets1764530000002,
  OneRunningImprovement1764610000000,
  ActivationWatches1764620000000,
  ModuleStateSet1764630000000,
];

/** One options object for the app and the TypeORM CLI. Never `synchronize`: the schema is the migrations. */
export function dataSourceOptions(url: string, extra: { poolSize?: number } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    synchronize: false,
    // No CREATE EXTENSION: gen_random_uuid() is built in since PostgreSQL 13, and PGlite has no extensions to add.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    poolSize: extra.poolSize ?? 10,
    // Failed queries surface as exceptions, which callers handle or the error filter logs.
    logging: false,
  };
}
