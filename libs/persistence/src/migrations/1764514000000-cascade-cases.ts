import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The evaluation cascade's case kinds: `smoke` (cheap first cases), `hidden` (held-out: never shown to the agent
 * role or a prompt), `evaluator` (a case judged by an evaluator module's pinned version), and the module `kind`
 * that marks evaluators. Expand-only: old code never reads the columns and its inserts get the defaults.
 */
export class CascadeCases1764514000000 implements MigrationInterface {
  name = 'CascadeCases1764514000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE module_test_cases ADD COLUMN smoke boolean NOT NULL DEFAULT false,
         ADD COLUMN hidden boolean NOT NULL DEFAULT false,
         ADD COLUMN evaluator jsonb`,
    );
    await runner.query(
      `ALTER TABLE modules ADD COLUMN kind text NOT NULL DEFAULT 'module',
         ADD CONSTRAINT modules_kind_check CHECK (kind IN ('module','evaluator'))`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE modules DROP CONSTRAINT modules_kind_check, DROP COLUMN kind`);
    await runner.query(
      `ALTER TABLE module_test_cases DROP COLUMN smoke, DROP COLUMN hidden, DROP COLUMN evaluator`,
    );
  }
}
