import { Client } from './pg.js';
import { createTestDatabase, POSTGRES_ADMIN_URL } from './databases.js';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new Client(POSTGRES_ADMIN_URL);
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await admin.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a fresh database and drops it even while a client is still connected', async () => {
    const db = await createTestDatabase('seed_support');
    expect(db.name).toMatch(/^seed_support_[a-z0-9]+_[0-9a-f]{8}$/);
    expect(await databaseExists(db.name)).toBe(true);

    const leaked = new Client(db.url);
    leaked.on('error', () => undefined); // it is terminated by drop()
    await leaked.connect();
    expect((await leaked.query('SELECT current_database() AS name')).rows).toEqual([{ name: db.name }]);

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await leaked.end().catch(() => undefined);
  });

  it('gives every call its own database', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.name).toMatch(/^seed_test_/);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
