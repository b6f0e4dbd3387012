import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys are scoped by actor (as well as module) and bound to a hash of the request, so one
 * caller's key can neither return another caller's version nor swallow a different body.
 * The old unique key (module_id, idempotency_key) is dropped: it made a second actor's key collide. That
 * only loosens what the previous release relies on, and a BEFORE INSERT trigger scopes its rows (it writes
 * no actor) to their author, the same actor the new release records, so its lookups and the new unique key
 * keep covering them during a deploy. The contract step (no running release omits the column) drops the
 * trigger and its function.
 */
export class IdempotencyScope1764420000001 implements MigrationInterface {
  name = 'IdempotencyScope1764420000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_versions ADD COLUMN idempotency_actor text`);
    await runner.query(`ALTER TABLE module_versions ADD COLUMN request_sha256 text`);
    await runner.query(`
      CREATE FUNCTION module_versions_fill_idempotency_actor() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.idempotency_key IS NOT NULL AND NEW.idempotency_actor IS NULL THEN
          NEW.idempotency_actor := NEW.author;
        END IF;
        RETURN NEW;
      END $$`);
    await runner.query(`
      CREATE TRIGGER module_versions_fill_idempotency_actor BEFORE INSERT ON module_versions
        FOR EACH ROW EXECUTE FUNCTION module_versions_fill_idempotency_actor()`);
    await runner.query(
      `UPDATE module_versions SET idempotency_actor = author WHERE idempotency_key IS NOT NULL`,
    );
    await runner.query(`
      ALTER TABLE module_versions ADD CONSTRAINT module_versions_idempotency_scope_key
        UNIQUE (module_id, idempotency_actor, idempotency_key)`);
    await runner.query(
      `ALTER TABLE module_versions DROP CONSTRAINT module_versions_module_id_idempotency_key_key`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    // Fails if two actors used one key on a module since: remove the later version first.
    await runner.query(`
      ALTER TABLE module_versions ADD CONSTRAINT module_versions_module_id_idempotency_key_key
        UNIQUE (module_id, idempotency_key)`);
    await runner.query(`ALTER TABLE module_versions DROP CONSTRAINT module_versions_idempotency_scope_key`);
    await runner.query(`DROP TRIGGER module_versions_fill_idempotency_actor ON module_versions`);
    await runner.query(`DROP FUNCTION module_versions_fill_idempotency_actor()`);
    await runner.query(`ALTER TABLE module_versions DROP COLUMN request_sha256`);
    await runner.query(`ALTER TABLE module_versions DROP COLUMN idempotency_actor`);
  }
}
