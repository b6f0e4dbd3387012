import { AuditRepository, CodeStoreRepository, moduleSettingsSchema, sha256 } from '@seed/code-store';
import type { DataSource } from 'typeorm';
import { migratedDataSource } from '../support/data-source';
import { createTestDatabase, TestDatabase } from '../support/databases';

const AUTHOR_ROLE_MIGRATION = 'ModuleVersionAuthorRole1764200000000';

/** The code store's repositories against real PostgreSQL, migrated as at boot: no app, no HTTP. */
describe('code store on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: CodeStoreRepository;
  let legacyModuleId: string;

  const insertLegacyVersion = (ds: DataSource, seq: number, author: string) =>
    ds.query(
      `INSERT INTO module_versions (module_id, seq, source, status, author)
       VALUES ($1, $2, 'export default () => 1;', 'ready', $3)`,
      [legacyModuleId, seq, author],
    );
  const roleOf = async (seq: number) =>
    (
      await dataSource.query('SELECT author_role FROM module_versions WHERE module_id = $1 AND seq = $2', [
        legacyModuleId,
        seq,
      ])
    )[0]?.author_role;

  beforeAll(async () => {
    db = await createTestDatabase('seed_medium');
    // Rows written by the release before the author_role column existed.
    const older = await migratedDataSource(db, { before: AUTHOR_ROLE_MIGRATION });
    try {
      [{ id: legacyModuleId }] = await older.query(
        `INSERT INTO modules (name) VALUES ('legacy') RETURNING id`,
      );
      await insertLegacyVersion(older, 1, 'admin:alice');
      await insertLegacyVersion(older, 2, 'agent:claude-cli:sonnet');
    } finally {
      await older.destroy();
    }
    dataSource = await migratedDataSource(db);
    store = new CodeStoreRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('module_versions.author_role', () => {
    it('is backfilled from the author prefix for rows written before the migration', async () => {
      expect(await roleOf(1)).toBe('admin');
      expect(await roleOf(2)).toBe('agent');
    });

    it('is filled for a row the previous release still inserts without it (blue/green)', async () => {
      await insertLegacyVersion(dataSource, 3, 'agent:mock');
      expect(await roleOf(3)).toBe('agent');
    });

    it('is written from the argument by createModule and addVersion, never parsed from the author', async () => {
      const { module, version } = await store.createModule(
        'authored',
        moduleSettingsSchema.parse({}),
        [],
        {
          parentId: null,
          source: 'export default () => 1;',
          author: 'admin:alice',
          authorRole: 'admin',
          activateRequested: true,
          dryRun: false,
        },
        'admin:alice',
      );
      expect(version.authorRole).toBe('admin');
      const healed = await store.addVersion(module.id, {
        parentId: version.id,
        source: 'export default () => 2;',
        author: 'self-heal',
        authorRole: 'system',
        activateRequested: false,
        dryRun: false,
      });
      expect((await store.findVersion(healed.id))?.authorRole).toBe('system');
      expect((await store.findVersion(version.id))?.authorRole).toBe('admin');
    });

    it('refuses a role outside admin, agent, viewer and system', async () => {
      await expect(
        dataSource.query(
          `INSERT INTO module_versions (module_id, seq, source, status, author, author_role)
           VALUES ($1, 99, 'export default () => 1;', 'ready', 'root:x', 'root')`,
          [legacyModuleId],
        ),
      ).rejects.toThrow(/module_versions_author_role_check/);
    });
  });

  describe('versionWithSource', () => {
    it("finds the earliest version of the module with that source's sha256, and only in that module", async () => {
      const legacySource = 'export default () => 1;';
      expect(await store.versionWithSource(legacyModuleId, sha256(legacySource))).toBe(1);
      expect(await store.versionWithSource(legacyModuleId, sha256('export default () => 42;'))).toBeNull();
      const { module } = await store.createModule(
        'deduped',
        moduleSettingsSchema.parse({}),
        [],
        {
          parentId: null,
          source: 'export default () => 42;',
          author: 'admin:alice',
          authorRole: 'admin',
          activateRequested: false,
          dryRun: false,
        },
        'admin:alice',
      );
      expect(await store.versionWithSource(module.id, sha256('export default () => 42;'))).toBe(1);
      expect(await store.versionWithSource(module.id, sha256(legacySource))).toBeNull();
    });
  });

  describe('AuditRepository', () => {
    it('writes rows and lists them newest first, paged, with the total', async () => {
      const audit = new AuditRepository(dataSource);
      await audit.write({ actor: 'admin:alice', action: 'create', target: 'a', outcome: 'ok' });
      await audit.write({
        actor: 'agent:agent',
        action: 'submit',
        target: 'a',
        outcome: 'ok',
        details: { versionId: 'v-1' },
      });
      await audit.write({ actor: 'viewer:bob', action: 'activate', target: 'a', outcome: 'forbidden' });

      const first = await audit.list({ limit: 2, offset: 0 });
      expect(first.total).toBe(3);
      expect(first.items.map((e) => [e.actor, e.action, e.outcome, e.details])).toEqual([
        ['viewer:bob', 'activate', 'forbidden', null],
        ['agent:agent', 'submit', 'ok', { versionId: 'v-1' }],
      ]);
      const rest = await audit.list({ limit: 2, offset: 2 });
      expect(rest).toMatchObject({ total: 3, items: [{ actor: 'admin:alice', target: 'a', details: null }] });
    });

    it('never loses a row to hostile fields: NUL, lone surrogates and overlong values are made storable', async () => {
      const audit = new AuditRepository(dataSource);
      await audit.write({
        actor: 'admin:alice',
        action: 'settings',
        target: `bad\u0000name\ud800${'x'.repeat(20_000)}`,
        outcome: 'invalid_request',
        details: { versionId: 'v\u0000\udfff' },
      });
      const [row] = (await audit.list({ limit: 1, offset: 0 })).items;
      expect(row.target.startsWith('bad\ufffdname\ufffdxxx')).toBe(true);
      expect(row.target.length).toBeLessThan(1000);
      expect(row.details).toEqual({ versionId: 'v\ufffd\ufffd' });
    });
  });

  describe('versions and test cases', () => {
    const first = {
      parentId: null,
      source: 'export default () => 7;',
      author: 'admin:alice',
      authorRole: 'admin' as const,
      activateRequested: false,
      dryRun: false,
    };
    const cases = ['a', 'b', 'c'].map((name) => ({ name, input: null, hasExpected: false }));

    it('lists version summaries without reading source, compiled code or test reports', async () => {
      const { module } = await store.createModule('listed', moduleSettingsSchema.parse({}), [], first, 'x');
      const { items, total } = await store.listVersions(module.id, { limit: 10, offset: 0 });
      expect(total).toBe(1);
      // Entity fields exist on every instance (class fields); the columns not read stay undefined.
      const read = Object.entries(items[0]).flatMap(([key, value]) => (value === undefined ? [] : [key]));
      expect(read.sort()).toEqual([
        'author',
        'createdAt',
        'dryRun',
        'id',
        'parentId',
        'rationale',
        'score',
        'seq',
        'status',
        'updatedAt',
      ]);
    });

    it('serialises concurrent replacements of the same cases instead of failing on the unique index', async () => {
      const { module } = await store.createModule(
        'replaced',
        moduleSettingsSchema.parse({}),
        cases,
        first,
        'x',
      );
      await Promise.all(Array.from({ length: 5 }, () => store.replaceTests(module.id, cases, 'admin:alice')));
      expect((await store.listTests(module.id)).map((t) => t.name)).toEqual(['a', 'b', 'c']);
    });
  });
});
