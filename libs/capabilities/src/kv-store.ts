import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { withTimeout } from '@seed/errors';
import { CapabilityError, type JsonValue } from '@seed/runtime';
import { DataSource } from 'typeorm';

/** A module's kv quota, from its grant. */
export interface KvQuota {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

/**
 * `ctx.kv` over PostgreSQL (table module_state). Writes of one module are serialised by a transaction-scoped
 * advisory lock, so the quota holds across nodes. Every query is bounded by KV_TIMEOUT: PostgreSQL down is
 * `capability_unavailable` for the kv call only.
 */
@Injectable()
export class KvStore {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(moduleId: string, key: string): Promise<JsonValue> {
    const rows = await this.query<Array<{ value: JsonValue }>>(
      `SELECT value FROM module_state WHERE module_id = $1 AND key = $2 AND ${LIVE}`,
      [moduleId, key],
    );
    return rows[0]?.value ?? null;
  }

  async set(
    moduleId: string,
    key: string,
    json: string,
    ttlMs: number | undefined,
    quota: KvQuota,
  ): Promise<void> {
    const bytes = Buffer.byteLength(key, 'utf8') + Buffer.byteLength(json, 'utf8');
    if (bytes > quota.maxBytes)
      throw quotaExceeded(`the entry is ${bytes} bytes, over the quota of ${quota.maxBytes}`);
    await this.bounded(
      this.dataSource.transaction(async (manager) => {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [moduleId]);
        await manager.query(`DELETE FROM module_state WHERE module_id = $1 AND expires_at <= now()`, [
          moduleId,
        ]);
        const [usage] = (await manager.query(
          `SELECT count(*)::int AS keys, coalesce(sum(bytes), 0)::bigint AS bytes
             FROM module_state WHERE module_id = $1 AND key <> $2`,
          [moduleId, key],
        )) as Array<{ keys: number; bytes: string }>;
        if (usage.keys + 1 > quota.maxKeys)
          throw quotaExceeded(`the module has ${usage.keys} keys of ${quota.maxKeys}`);
        const used = Number(usage.bytes);
        if (used + bytes > quota.maxBytes) {
          throw quotaExceeded(
            `the module uses ${used} bytes; this entry's ${bytes} would pass ${quota.maxBytes}`,
          );
        }
        await manager.query(
          `INSERT INTO module_state (module_id, key, value, bytes, expires_at, updated_at)
           VALUES ($1, $2, $3::jsonb, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + $5::int * interval '1 millisecond' END, now())
           ON CONFLICT (module_id, key) DO UPDATE
             SET value = EXCLUDED.value, bytes = EXCLUDED.bytes, expires_at = EXCLUDED.expires_at, updated_at = now()`,
          [moduleId, key, json, bytes, ttlMs ?? null],
        );
      }),
    );
  }

  async delete(moduleId: string, key: string): Promise<boolean> {
    const rows = await this.query<Array<{ live: boolean }>>(
      // a SELECT, so the driver answers rows (a bare DELETE answers rows and a count)
      `WITH gone AS (DELETE FROM module_state WHERE module_id = $1 AND key = $2 RETURNING ${LIVE} AS live)
       SELECT live FROM gone`,
      [moduleId, key],
    );
    return rows[0]?.live === true;
  }

  async list(moduleId: string, prefix: string): Promise<Array<{ key: string; value: JsonValue }>> {
    return this.query(
      `SELECT key, value FROM module_state
        WHERE module_id = $1 AND left(key, length($2)) = $2 AND ${LIVE}
        ORDER BY key LIMIT $3`,
      [moduleId, prefix, this.config.capabilities.kv.listLimit],
    );
  }

  /** One kv operation within KV_TIMEOUT; an outage (or the bound) is capability_unavailable. */
  private query<T>(sql: string, params: unknown[]): Promise<T> {
    return this.bounded(this.dataSource.query(sql, params) as Promise<T>);
  }

  private async bounded<T>(work: Promise<T>): Promise<T> {
    try {
      return await withTimeout('kv', this.config.capabilities.kv.timeoutMs, work);
    } catch (error) {
      if (error instanceof CapabilityError) throw error;
      throw new CapabilityError('capability_unavailable', 'kv is unavailable: PostgreSQL did not answer');
    }
  }
}

function quotaExceeded(why: string): CapabilityError {
  return new CapabilityError('quota_exceeded', `kv quota exceeded: ${why}`);
}
