import type { DataSource } from 'typeorm';

/** Any fixed 64-bit key: every node agrees on it, so concurrent boots migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_361_202_611;

/**
 * Runs pending migrations while holding a session-level advisory lock on one dedicated connection,
 * so N nodes booting together migrate once: the first applies them, the others find nothing pending.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
