import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `goal_cases`: the cases of an improvement's goal, carried by its candidate versions (tested on them, joined
 * to the suite when one is activated) instead of being added to the suite up front. Expand-only: old code
 * never reads the column and inserts get the default.
 */
export class VersionGoalCases1764410000000 implements MigrationInterface {
  name = 'VersionGoalCases1764410000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE module_versions ADD COLUMN goal_cases jsonb NOT NULL DEFAULT '[]'::jsonb`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_versions DROP COLUMN goal_cases`);
  }
}
