import { randomBytes } from 'node:crypto';
import { SecretsService } from '@seed/capabilities';
import type { AppConfig } from '@seed/config';
import type { DataSource } from 'typeorm';
import { migratedDataSource } from '../support/data-source';
import { createTestDatabase, TestDatabase } from '../support/databases';

const config = (env: 'production' | 'development', key?: string, previousKey?: string) =>
  ({ env, capabilities: { secrets: { key, previousKey } } }) as AppConfig;

/** The secrets store on PostgreSQL: sealed rows, rotation, and the production start rule. */
describe('secrets store on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let moduleId: string;

  beforeAll(async () => {
    db = await createTestDatabase('seed_medium');
    dataSource = await migratedDataSource(db);
    [{ id: moduleId }] = await dataSource.query(`INSERT INTO modules (name) VALUES ('s') RETURNING id`);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('opens secrets sealed with the previous key after a rotation, and refuses a production start without a key', async () => {
    const oldKey = randomBytes(32).toString('hex');
    const before = new SecretsService(dataSource, config('production', oldKey));
    await before.onApplicationBootstrap();
    await before.put(moduleId, 'TOKEN', 'v1', ['https://api.example.com']);

    const rotated = new SecretsService(
      dataSource,
      config('production', randomBytes(32).toString('hex'), oldKey),
    );
    expect((await rotated.open(moduleId, ['TOKEN'])).get('TOKEN')).toEqual({
      value: 'v1',
      origins: ['https://api.example.com'],
    });
    const unrelated = new SecretsService(dataSource, config('production', randomBytes(32).toString('hex')));
    expect((await unrelated.open(moduleId, ['TOKEN'])).size).toBe(0);

    await expect(
      new SecretsService(dataSource, config('production')).onApplicationBootstrap(),
    ).rejects.toThrow(/SECRETS_KEY is not set, and 1 module secrets exist/);
    await expect(
      new SecretsService(dataSource, config('development')).onApplicationBootstrap(),
    ).resolves.toBeUndefined();
  });
});
