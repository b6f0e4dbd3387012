import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refused actions are counted into one audit row per actor, action and minute instead of a row each.
 * Expand-only: `count` defaults to 1 and `denied_minute` is nullable, so the previous release's inserts are
 * unchanged (one row each); the unique key only merges rows with a minute, since NULLs are distinct.
 */
export class AuditDenialCounts1764420000000 implements MigrationInterface {
  name = 'AuditDenialCounts1764420000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE audit_log ADD COLUMN count integer NOT NULL DEFAULT 1`);
    await runner.query(`ALTER TABLE audit_log ADD COLUMN denied_minute timestamptz`);
    await runner.query(`
      ALTER TABLE audit_log ADD CONSTRAINT audit_log_denial_minute_key
        UNIQUE (actor, action, denied_minute)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_denial_minute_key`);
    await runner.query(`ALTER TABLE audit_log DROP COLUMN denied_minute`);
    await runner.query(`ALTER TABLE audit_log DROP COLUMN count`);
  }
}
