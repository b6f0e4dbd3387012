import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ctx.kv.set in one statement: module_state_set takes the module's advisory lock, drops its expired entries,
 * measures the other live entries and writes only when the entry fits the quota (the rule of kv-quota.ts),
 * answering whether it wrote and the usage it saw. A plpgsql function, because in READ COMMITTED each of its
 * statements takes a fresh snapshot after the lock: a single SQL statement would measure from a snapshot taken
 * before it waited, and two nodes could both pass the quota. Expand-only: the previous release never calls it.
 */
export class ModuleStateSet1764630000000 implements MigrationInterface {
  name = 'ModuleStateSet1764630000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION module_state_set(
        p_module uuid, p_key text, p_value jsonb, p_bytes integer, p_ttl_ms integer,
        p_max_keys integer, p_max_bytes bigint
      ) RETURNS TABLE (written boolean, other_keys integer, other_bytes bigint)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        n integer;
        used bigint;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_module::text, 7));
        DELETE FROM module_state s WHERE s.module_id = p_module AND s.expires_at <= now();
        SELECT count(*)::integer, coalesce(sum(s.bytes), 0)::bigint INTO n, used
          FROM module_state s WHERE s.module_id = p_module AND s.key <> p_key;
        IF p_bytes > p_max_bytes OR n + 1 > p_max_keys OR used + p_bytes > p_max_bytes THEN
          RETURN QUERY SELECT false, n, used;
          RETURN;
        END IF;
        INSERT INTO module_state AS s (module_id, key, value, bytes, expires_at, updated_at)
        VALUES (p_module, p_key, p_value, p_bytes,
                CASE WHEN p_ttl_ms IS NULL THEN NULL ELSE now() + p_ttl_ms * interval '1 millisecond' END, now())
        ON CONFLICT (module_id, key) DO UPDATE
          SET value = EXCLUDED.value, bytes = EXCLUDED.bytes, expires_at = EXCLUDED.expires_at, updated_at = now();
        RETURN QUERY SELECT true, n, used;
      END
      $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `DROP FUNCTION module_state_set(uuid, text, jsonb, integer, integer, integer, bigint)`,
    );
  }
}
