import { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES_BEFORE = ['running', 'paused', 'promoted', 'rolled_back', 'aborted'];
const STATUSES_AFTER = ['running', 'paused', 'watching', 'promoted', 'rolled_back', 'aborted'];
const list = (values: string[]) => values.map((v) => `'${v}'`).join(',');

/**
 * The watch after an activation becomes a rollout record of kind `watch` (status `watching` while it runs).
 * Expand-only: a column with a default and an allowed value more; the previous release reads only `running`
 * and `paused` rows as open, so it ignores watches.
 */
export class ActivationWatches1764620000000 implements MigrationInterface {
  name = 'ActivationWatches1764620000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE rollouts ADD COLUMN kind text NOT NULL DEFAULT 'rollout'`);
    await runner.query(
      `ALTER TABLE rollouts ADD CONSTRAINT rollouts_kind_check CHECK (kind IN ('rollout','watch'))`,
    );
    await runner.query(`ALTER TABLE rollouts DROP CONSTRAINT rollouts_status_check`);
    await runner.query(
      `ALTER TABLE rollouts ADD CONSTRAINT rollouts_status_check CHECK (status IN (${list(STATUSES_AFTER)}))`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM rollouts WHERE kind = 'watch'`);
    await runner.query(`ALTER TABLE rollouts DROP CONSTRAINT rollouts_status_check`);
    await runner.query(
      `ALTER TABLE rollouts ADD CONSTRAINT rollouts_status_check CHECK (status IN (${list(STATUSES_BEFORE)}))`,
    );
    await runner.query(`ALTER TABLE rollouts DROP CONSTRAINT rollouts_kind_check`);
    await runner.query(`ALTER TABLE rollouts DROP COLUMN kind`);
  }
}
