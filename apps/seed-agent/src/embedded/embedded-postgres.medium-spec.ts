import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { types } from 'node:util';
import { Client, Pool, type PgPool } from '../../test/support/pg.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';

const quiet = (): void => undefined;

describe('startEmbeddedPostgres', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-pglite-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('persists data in its folder across stop and restart', async () => {
    const dir = join(tempDir(), 'pg'); // not there yet: it must be created
    const first = await startEmbeddedPostgres({ dir, log: quiet });
    const client = new Client(first.url);
    await client.connect();
    await client.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await client.query('INSERT INTO notes VALUES ($1, $2)', [1, 'kept']);
    await client.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dir, log: quiet });
    const again = new Client(second.url);
    await again.connect();
    const { rows } = await again.query('SELECT body FROM notes WHERE id = 1');
    await again.end();
    await second.stop();

    expect(rows).toEqual([{ body: 'kept' }]);
  });

  describe('with a pool of clients', () => {
    let pg: EmbeddedPostgres;
    let pool: PgPool;
    const logs: string[] = [];

    beforeAll(async () => {
      pg = await startEmbeddedPostgres({
        dir: tempDir(),
        log: (m) => logs.push(m),
        idleTransactionTimeoutMs: 300,
      });
      pool = new Pool({ connectionString: pg.url, max: 10 });
      pool.on('error', () => undefined); // the idle-transaction test kills a pooled client on purpose
      await pool.query('CREATE TABLE items (id int PRIMARY KEY)');
    });
    afterAll(async () => {
      await pool.end();
      await pg.stop();
    });

    it('keeps each client’s statements apart under concurrency, even with multi-MB parameters', async () => {
      // 3 MB parameters span many TCP reads: with @electric-sql/pglite-socket 0.2.17 these interleave
      // and nearly every query fails with "bind message supplies 2 parameters, but ... requires 1".
      const big = 'x'.repeat(3_000_000);
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const { rows } =
            i % 2
              ? await pool.query(`SELECT length($1::text) AS l, ${i} AS i`, [big])
              : await pool.query(`SELECT $2::int AS i, length($1::text) AS l, 'even' AS kind`, [big, i]);
          return rows[0].i === i && rows[0].l === big.length;
        }),
      );
      expect(results.every(Boolean)).toBe(true);

      const small = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          pool.query('SELECT $1::int AS n', [i]).then((r) => r.rows[0].n),
        ),
      );
      expect(small).toEqual(Array.from({ length: 500 }, (_, i) => i));
    });

    it('survives SQL errors, inside and outside transactions', async () => {
      await expect(pool.query('SELECT * FROM missing')).rejects.toThrow(/does not exist/);
      const client = await pool.connect();
      await client.query('BEGIN');
      await expect(client.query('SELECT * FROM missing')).rejects.toThrow(/does not exist/);
      await client.query('ROLLBACK');
      client.release();
      expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });

    it('runs one transaction at a time: other clients wait for COMMIT', async () => {
      const a = await pool.connect();
      const b = await pool.connect();
      try {
        await a.query('BEGIN');
        await a.query('INSERT INTO items VALUES (1)');
        let seen: number | undefined;
        const other = b.query('SELECT count(*)::int AS c FROM items').then((r) => (seen = r.rows[0].c));
        // a round trip of the transaction's owner, sent after b's query, is served while b waits
        await a.query('SELECT 1');
        expect(seen).toBeUndefined(); // queued behind the open transaction, not reading uncommitted data
        await a.query('COMMIT');
        await other;
        expect(seen).toBe(1);
      } finally {
        a.release();
        b.release();
      }
    });

    it('terminates a transaction that waits on another connection instead of deadlocking', async () => {
      const a = await pool.connect();
      a.on('error', () => undefined);
      await a.query('BEGIN');
      await a.query('INSERT INTO items VALUES (2)');
      // The mistake this guards against: awaiting another pooled connection inside a transaction.
      const { rows } = await pool.query('SELECT count(*)::int AS c FROM items WHERE id = 2');
      expect(rows).toEqual([{ c: 0 }]); // A was rolled back
      await expect(a.query('COMMIT')).rejects.toThrow();
      a.release(true);
      expect(logs.some((m) => m.includes('idle in a transaction'))).toBe(true);
    });

    it('rolls back the transaction of a client that disconnects', async () => {
      const a = new Client(pg.url);
      await a.connect();
      await a.query('BEGIN');
      await a.query('INSERT INTO items VALUES (3)');
      await a.end();
      const { rows } = await pool.query('SELECT count(*)::int AS c FROM items WHERE id = 3');
      expect(rows).toEqual([{ c: 0 }]);
    });
  });

  it('stops promptly while clients are still connected', async () => {
    const pg = await startEmbeddedPostgres({ dir: tempDir(), log: quiet });
    const pool = new Pool({ connectionString: pg.url, max: 3 });
    pool.on('error', () => undefined);
    const client = await pool.connect();
    client.on('error', () => undefined);
    await client.query('BEGIN');
    // a second connection's start-up queues behind the open transaction (nothing shows when it got there)
    const waiting = pool.query('SELECT 2').catch((error: Error) => error);
    await pg.stop();
    // refused before it got in, or cut while queued; either error may come from Node's realm, not Jest's
    expect(types.isNativeError(await waiting)).toBe(true);
    client.release(true);
    await pool.end();
  });
});
