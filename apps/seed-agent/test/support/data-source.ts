import { dataSourceOptions, runMigrationsLocked } from '@seed/persistence';
import { DataSource, type MigrationInterface } from 'typeorm';
import type { TestDatabase } from './databases.js';

type MigrationClass = new () => MigrationInterface;

/**
 * The app's DataSource on a test database, migrated the way the app migrates at boot. `before` stops short of
 * the named migration (and everything after it), to write rows the way an older release did.
 */
export async function migratedDataSource(
  db: TestDatabase,
  options: { before?: string } = {},
): Promise<DataSource> {
  const base = dataSourceOptions(db.url, { poolSize: 2 });
  let migrations = base.migrations as MigrationClass[];
  if (options.before) {
    const index = migrations.findIndex((m) => m.name === options.before);
    if (index < 0) throw new Error(`no migration named ${options.before}`);
    migrations = migrations.slice(0, index);
  }
  const dataSource = new DataSource({ ...base, migrations });
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
