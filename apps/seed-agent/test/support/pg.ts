/**
 * The small part of `pg` the tests use, typed here because pg ships no types and @types/pg is not a
 * dependency. Once @types/pg is added, `import { Client, Pool } from 'pg'` can replace this file.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row has whatever columns the SQL selects
export type Row = Record<string, any>;

export interface QueryResult<R extends Row = Row> {
  rows: R[];
  rowCount: number | null;
}

interface Queryable {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PgClient extends Queryable {
  connect(): Promise<void>;
  end(): Promise<void>;
}

export interface PgPoolClient extends Queryable {
  /** `true` destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean): void;
}

export interface PgPool extends Queryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

const pg = require('pg') as {
  Client: new (connectionString: string) => PgClient;
  Pool: new (config: { connectionString: string; max?: number }) => PgPool;
};

export const Client = pg.Client;
export const Pool = pg.Pool;
