import { AuditRepository, CodeStoreRepository, moduleSettingsSchema } from '@seed/code-store';
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
        200,
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

  describe('test cases', () => {
    const newModule = (name: string) =>
      store.createModule(
        name,
        moduleSettingsSchema.parse({}),
        [{ name: 'one', input: 1, hasExpected: true, expected: 1 }],
        {
          parentId: null,
          source: 'export default (x: number) => x;',
          author: 'admin:alice',
          authorRole: 'admin',
          activateRequested: true,
          dryRun: false,
        },
        'admin:alice',
        3,
      );
    const compiled = { compiled: 'compiled', sha256: 'abc', status: 'ready' as const };
    const names = async (moduleId: string) => (await store.listTests(moduleId)).map((c) => c.name);

    it('refuses to grow a suite past the cap, whoever adds', async () => {
      const { module } = await newModule('capped');
      const adding = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ name: `c${i}`, input: i, hasExpected: false }));
      await store.addTests(module.id, adding(2), 'agent:bot', 3);
      await expect(
        store.addTests(module.id, [{ name: 'x', input: 0, hasExpected: false }], 'admin:alice', 3),
      ).rejects.toMatchObject({ code: 'too_many_cases', details: { existing: 3, adding: 1, max: 3 } });
      await expect(store.replaceTests(module.id, adding(4), 'admin:alice', 3)).rejects.toMatchObject({
        code: 'too_many_cases',
      });
      expect(await names(module.id)).toEqual(['one', 'c0', 'c1']);
    });

    it("joins a version's goal cases to the suite when it is activated, not when it is submitted", async () => {
      const { module, version } = await newModule('goals');
      await store.updateVersion(version.id, compiled);
      await store.activate(module.id, version.id, { reason: 'manual', actor: 'admin:alice', maxCases: 3 });
      const goal = await store.addVersion(module.id, {
        parentId: version.id,
        source: 'export default (x: number) => x * 1;',
        author: 'agent:mock',
        authorRole: 'agent',
        activateRequested: true,
        dryRun: false,
        goalCases: [
          { name: 'one', input: 9, hasExpected: false },
          { name: 'two', input: null, hasExpected: true, expected: null },
          { name: 'three', input: 3, hasExpected: false },
        ],
      });
      expect(await names(module.id)).toEqual(['one']);
      await store.updateVersion(goal.id, compiled);
      await store.activate(module.id, goal.id, { reason: 'gates', actor: 'agent:mock', maxCases: 2 });
      // "one" was already in the suite; "three" does not fit under the cap.
      const suite = await store.listTests(module.id);
      expect(suite.map((c) => [c.name, c.input, c.hasExpected, c.expected])).toEqual([
        ['one', 1, true, 1],
        ['two', null, true, null],
      ]);
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

    it('counts concurrent refusals exactly, into one row per actor, action and minute', async () => {
      const audit = new AuditRepository(dataSource);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          audit.recordDenial({ actor: 'viewer:mallory', action: 'delete', target: i % 2 ? 'a' : 'b' }),
        ),
      );
      const rows: Array<{ count: number; target: string; outcome: string }> = await dataSource.query(
        `SELECT count, target, outcome FROM audit_log WHERE actor = 'viewer:mallory'`,
      );
      // two rows only if the burst straddled a minute boundary
      expect(rows.length).toBeLessThanOrEqual(2);
      expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(40);
      expect(rows.every((r) => r.outcome === 'forbidden')).toBe(true);
      expect(rows.some((r) => r.target === '*')).toBe(true);
    });
  });

  describe('module_versions idempotency scope', () => {
    it("scopes the previous release's keys to their author (blue/green), so actors never share one", async () => {
      await dataSource.query(
        `INSERT INTO module_versions (module_id, seq, source, status, author, author_role, idempotency_key)
         VALUES ($1, 50, 'export default () => 50;', 'ready', 'agent:agent', 'agent', 'job:1')`,
        [legacyModuleId],
      );
      expect((await store.findVersionByIdempotencyKey(legacyModuleId, 'agent:agent', 'job:1'))?.seq).toBe(50);
      expect(await store.findVersionByIdempotencyKey(legacyModuleId, 'admin:admin', 'job:1')).toBeNull();
      const admin = await store.addVersion(legacyModuleId, {
        parentId: null,
        source: 'export default () => 51;',
        author: 'admin:admin',
        authorRole: 'admin',
        activateRequested: false,
        dryRun: false,
        idempotency: { key: 'job:1', actor: 'admin:admin', requestSha256: 'h' },
      });
      expect((await store.findVersionByIdempotencyKey(legacyModuleId, 'admin:admin', 'job:1'))?.id).toBe(
        admin.id,
      );
    });
  });

  describe('audit rows from hostile input', () => {
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
      const { module } = await store.createModule(
        'listed',
        moduleSettingsSchema.parse({}),
        [],
        first,
        'x',
        200,
      );
      const { items, total } = await store.listVersions(module.id, { limit: 10, offset: 0 });
      expect(total).toBe(1);
      // Entity fields exist on every instance (class fields); the columns not read stay undefined.
      const read = Object.entries(items[0]).flatMap(([key, value]) => (value === undefined ? [] : [key]));
      expect(read.sort()).toEqual([
        'activateRequested',
        'author',
        'authorRole',
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
        200,
      );
      await Promise.all(
        Array.from({ length: 5 }, () => store.replaceTests(module.id, cases, 'admin:alice', 200)),
      );
      expect((await store.listTests(module.id)).map((t) => t.name)).toEqual(['a', 'b', 'c']);
    });
  });
});
