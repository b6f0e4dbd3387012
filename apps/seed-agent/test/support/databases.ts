import { randomBytes } from 'node:crypto';
import { Client, type PgClient } from './pg.js';

/** The machine's PostgreSQL (see ARCHITECTURE.md "Services on this machine"). */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, ending any connection still open to it (a crashed app, a leaked pool). */
  drop(): Promise<void>;
}

/** A fresh, uniquely named database, so test files running in parallel never see each other's rows. */
export async function createTestDatabase(prefix = 'seed_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid test database name: ${name}`);
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      // WITH (FORCE) (PostgreSQL 13+) terminates the connections still open to it.
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(use: (admin: PgClient) => Promise<T>): Promise<T> {
  const admin = new Client(POSTGRES_ADMIN_URL);
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}
