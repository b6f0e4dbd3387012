import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `now()` is the transaction's start: an activation that waited for the module's row lock could be stamped
 * before the one it followed. clock_timestamp() is taken at the insert, after the lock, so the history of
 * switches sorts in commit order. (Expand-only: a default changes, nothing is dropped.)
 */
export class ActivationCommitOrder1764100000000 implements MigrationInterface {
  name = 'ActivationCommitOrder1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE activations ALTER COLUMN created_at SET DEFAULT clock_timestamp()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE activations ALTER COLUMN created_at SET DEFAULT now()`);
  }
}
