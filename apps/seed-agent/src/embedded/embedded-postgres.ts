import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { startPGliteWireServer } from './pglite-wire-server.js';

export interface EmbeddedPostgresOptions {
  /** Data folder (DATA_DIR/pg); created when missing. */
  dir: string;
  log: (message: string) => void;
  /** See PGliteWireServerOptions: ends a transaction that blocks everyone while idle. */
  idleTransactionTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** For the ordinary `pg` / TypeORM `postgres` driver. PGlite accepts any user, password and database
   *  name and always serves user postgres, database postgres. */
  readonly url: string;
  /** Closes the listener, rolls back a dropped client's transaction, then shuts PGlite down cleanly. */
  stop(): Promise<void>;
}

/** Real PostgreSQL (PGlite, WASM) persisted in `dir`, served on a free 127.0.0.1 port. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dir, log } = options;
  mkdirSync(dir, { recursive: true });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  const started = Date.now();
  const db = await PGlite.create(dir);
  const server = await startPGliteWireServer({
    db,
    log,
    idleTransactionTimeoutMs: options.idleTransactionTimeoutMs,
  }).catch(async (error: unknown) => {
    await db.close(); // do not leave the data folder open when the port cannot be bound
    throw error;
  });
  const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
  log(
    `embedded postgres (PGlite) ${fresh ? 'initialised' : 'opened'} ${dir} in ${Date.now() - started} ms, ` +
      `listening on 127.0.0.1:${server.port}`,
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      // Idempotent: Nest shutdown hooks and tests may both call it.
      stopping ??= (async () => {
        await server.close();
        await db.close();
        log('embedded postgres stopped');
      })();
      return stopping;
    },
  };
}
