import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `smoke` (the cascade's cheap first cases) and `hidden` (held-out: never shown to the agent role or a prompt)
 * on test cases. Expand-only: old code never reads the columns and its inserts get the defaults.
 */
export class TestCaseSmokeHidden1764514000000 implements MigrationInterface {
  name = 'TestCaseSmokeHidden1764514000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE module_test_cases ADD COLUMN smoke boolean NOT NULL DEFAULT false,
         ADD COLUMN hidden boolean NOT NULL DEFAULT false`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_test_cases DROP COLUMN smoke, DROP COLUMN hidden`);
  }
}
