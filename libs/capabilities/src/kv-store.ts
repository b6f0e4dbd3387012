import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { withTimeout } from '@seed/errors';
import { CapabilityError, type JsonValue } from '@seed/runtime';
import { DataSource } from 'typeorm';
import { entryBytes, quotaRefusal, type KvQuota } from './kv-quota.js';

export type { KvQuota } from './kv-quota.js';

/** What KvStore uses of pg's Pool and its clients (the project has no @types/pg). */
interface PoolClient {
  query<T>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
  release(error?: Error): void;
}
interface Pool {
  connect(): Promise<PoolClient>;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

/** Every kv operation is one prepared statement (parsed and planned once per connection). */
const STATEMENTS = {
  get: `SELECT value FROM module_state WHERE module_id = $1 AND key = $2 AND ${LIVE}`,
  // the quota check and the write in one statement, under the module's lock (migration ModuleStateSet)
  set: `SELECT written, other_keys, other_bytes FROM module_state_set($1, $2, $3::jsonb, $4, $5, $6, $7)`,
  delete: `WITH gone AS (DELETE FROM module_state WHERE module_id = $1 AND key = $2 RETURNING ${LIVE} AS live)
           SELECT live FROM gone`,
  list: `SELECT key, value FROM module_state
          WHERE module_id = $1 AND left(key, length($2)) = $2 AND ${LIVE}
          ORDER BY key LIMIT $3`,
} as const;
type Statement = keyof typeof STATEMENTS;

/**
 * `ctx.kv` over PostgreSQL (table module_state): one round trip per operation, on TypeORM's pg pool with named
 * statements. A set is module_state_set, which serialises the module's writes by an advisory lock, so the quota
 * holds across nodes. Every operation is bounded by KV_TIMEOUT: PostgreSQL down is `capability_unavailable` for
 * the kv call only.
 */
@Injectable()
export class KvStore {
  /** a tag per pooled connection, in each statement's name (see run) */
  private readonly tags = new WeakMap<PoolClient, string>();
  private connections = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'capabilities'>,
  ) {}

  async get(moduleId: string, key: string): Promise<JsonValue> {
    const rows = await this.run<{ value: JsonValue }>('get', [moduleId, key]);
    return rows[0]?.value ?? null;
  }

  async set(
    moduleId: string,
    key: string,
    json: string,
    ttlMs: number | undefined,
    quota: KvQuota,
  ): Promise<void> {
    const bytes = entryBytes(key, json);
    const alone = quotaRefusal({ keys: 0, bytes: 0 }, bytes, quota);
    if (alone) throw quotaExceeded(alone);
    const [row] = await this.run<{ written: boolean; other_keys: number; other_bytes: string }>('set', [
      moduleId,
      key,
      json,
      bytes,
      ttlMs ?? null,
      quota.maxKeys,
      quota.maxBytes,
    ]);
    if (row.written) return;
    const others = { keys: row.other_keys, bytes: Number(row.other_bytes) };
    throw quotaExceeded(quotaRefusal(others, bytes, quota) ?? 'the entry does not fit');
  }

  async delete(moduleId: string, key: string): Promise<boolean> {
    const rows = await this.run<{ live: boolean }>('delete', [moduleId, key]);
    return rows[0]?.live === true;
  }

  async list(moduleId: string, prefix: string): Promise<Array<{ key: string; value: JsonValue }>> {
    return this.run('list', [moduleId, prefix, this.config.capabilities.kv.listLimit]);
  }

  /**
   * One statement within KV_TIMEOUT; an outage (or the bound) is capability_unavailable. Its name carries the
   * connection's tag: the embedded PGlite serves every pooled connection from one session, where two
   * connections preparing the same name would collide.
   */
  private async run<T>(statement: Statement, values: unknown[]): Promise<T[]> {
    const work = (async () => {
      const client = await this.pool().connect();
      let failed: Error | undefined;
      try {
        let tag = this.tags.get(client);
        if (!tag) this.tags.set(client, (tag = `c${++this.connections}`));
        const result = await client.query<T>({
          name: `kv_${statement}_${tag}`,
          text: STATEMENTS[statement],
          values,
        });
        return result.rows;
      } catch (error) {
        failed = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        // a connection whose query failed is closed rather than reused: it may be the one that broke
        client.release(failed);
      }
    })();
    try {
      return await withTimeout('kv', this.config.capabilities.kv.timeoutMs, work);
    } catch (error) {
      if (error instanceof CapabilityError) throw error;
      throw new CapabilityError('capability_unavailable', 'kv is unavailable: PostgreSQL did not answer');
    }
  }

  /** TypeORM's pg pool (its postgres driver's `master`), there once the data source is initialised. */
  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }
}

function quotaExceeded(why: string): CapabilityError {
  return new CapabilityError('quota_exceeded', `kv quota exceeded: ${why}`);
}
