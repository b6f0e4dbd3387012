import { MigrationInterface, QueryRunner } from 'typeorm';

/** Test case fixtures for capabilities (expand only: a nullable column the previous release ignores). */
export class CaseFixtures1764530000001 implements MigrationInterface {
  name = 'CaseFixtures1764530000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_test_cases ADD COLUMN fixtures jsonb`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_test_cases DROP COLUMN fixtures`);
  }
}
