import { KvStore } from '@seed/capabilities';
import type { AppConfig } from '@seed/config';
import { CapabilityError } from '@seed/runtime';
import type { DataSource } from 'typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/embedded/embedded-postgres';
import { eventually } from '../support/start-app';
import { migratedDataSource } from '../support/data-source';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { startPrivatePostgres, type PrivatePostgres } from '../support/postgres';

const config = {
  capabilities: {
    maxCallsPerInvocation: 100,
    maxCallDepth: 4,
    kv: {
      maxKeyBytes: 512,
      maxValueBytes: 65_536,
      maxKeys: 1000,
      maxBytes: 1_048_576,
      listLimit: 1000,
      timeoutMs: 1000,
    },
  },
} as AppConfig;

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof CapabilityError) return error.code;
    throw error;
  }
  return 'ok';
}

/** ctx.kv's store against real PostgreSQL: two nodes (two pools) on one database, and an outage. */
describe('kv store on PostgreSQL', () => {
  let db: TestDatabase;
  let nodes: DataSource[];
  let moduleId: string;

  beforeAll(async () => {
    db = await createTestDatabase('seed_medium');
    nodes = [await migratedDataSource(db), await migratedDataSource(db)];
    [{ id: moduleId }] = await nodes[0].query(`INSERT INTO modules (name) VALUES ('kv') RETURNING id`);
  });
  afterAll(async () => {
    for (const node of nodes ?? []) await node.destroy();
    await db?.drop();
  });

  it('holds the key quota when two nodes write at once', async () => {
    const stores = nodes.map((node) => new KvStore(node, config));
    const quota = { maxKeys: 5, maxBytes: 100_000 };
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        codeOf(stores[i % 2].set(moduleId, `k${i}`, '1', undefined, quota)),
      ),
    );
    expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
    expect(codes.filter((c) => c === 'quota_exceeded')).toHaveLength(15);
    expect(await stores[1].list(moduleId, 'k')).toHaveLength(5);
  });

  it('counts the bytes of keys and values against the quota', async () => {
    const store = new KvStore(nodes[0], config);
    const [{ id }] = await nodes[0].query(`INSERT INTO modules (name) VALUES ('kv-bytes') RETURNING id`);
    const quota = { maxKeys: 100, maxBytes: 30 };
    // 1 + 12 bytes, then 1 + 12 more fit; a third entry passes 30
    expect(await codeOf(store.set(id, 'a', '"0123456789"', undefined, quota))).toBe('ok');
    expect(await codeOf(store.set(id, 'b', '"0123456789"', undefined, quota))).toBe('ok');
    expect(await codeOf(store.set(id, 'c', '"0123456789"', undefined, quota))).toBe('quota_exceeded');
    // rewriting a key counts its new size only
    expect(await codeOf(store.set(id, 'b', '"012345678901"', undefined, quota))).toBe('ok');
  });
});

describe('kv store on the embedded PGlite', () => {
  it('keeps the named statements of its pooled connections apart in its one session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-kv-pglite-'));
    const pg = await startEmbeddedPostgres({ dir, log: () => undefined });
    const node = await migratedDataSource({ url: pg.url } as TestDatabase);
    try {
      const [{ id }] = await node.query(`INSERT INTO modules (name) VALUES ('kv') RETURNING id`);
      const store = new KvStore(node, config);
      const quota = { maxKeys: 5, maxBytes: 100_000 };
      // the pool's two connections both prepare every statement
      const codes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => codeOf(store.set(id, `k${i}`, String(i), undefined, quota))),
      );
      expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
      const values = await Promise.all(Array.from({ length: 12 }, (_, i) => store.get(id, `k${i}`)));
      expect(values.filter((v) => v !== null)).toHaveLength(5);
      expect(await store.list(id, 'k')).toHaveLength(5);
    } finally {
      await node.destroy();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kv store while PostgreSQL is down', () => {
  let pg: PrivatePostgres;
  let node: DataSource;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    node = await migratedDataSource({ name: 'postgres', url: pg.url, drop: async () => undefined });
  });
  afterAll(async () => {
    await node?.destroy().catch(() => undefined);
    await pg?.dispose();
  });

  it('fails kv calls with capability_unavailable, and serves again once it is back', async () => {
    const store = new KvStore(node, config);
    const [{ id }] = await node.query(`INSERT INTO modules (name) VALUES ('kv') RETURNING id`);
    const quota = { maxKeys: 10, maxBytes: 10_000 };
    await store.set(id, 'a', '{"v":1}', undefined, quota);
    await pg.stop();
    expect(await codeOf(store.get(id, 'a'))).toBe('capability_unavailable');
    expect(await codeOf(store.set(id, 'b', '1', undefined, quota))).toBe('capability_unavailable');
    await pg.start();
    const value = await eventually(
      () => store.get(id, 'a').catch(() => undefined),
      20_000,
      'kv to answer again',
    );
    expect(value).toEqual({ v: 1 });
  });
});
