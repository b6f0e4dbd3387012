import { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = ['queued', 'compiling', 'testing', 'ready', 'active', 'retired', 'rejected', 'superseded'];
const AFTER = [
  'queued',
  'compiling',
  'testing',
  'activating',
  'ready',
  'active',
  'retired',
  'rejected',
  'superseded',
];

const check = (statuses: string[]) => `status IN (${statuses.map((s) => `'${s}'`).join(',')})`;

/**
 * `activating`: a version that passed and is asked to activate, while the decision is taken, so a client
 * polling it never mistakes it for `ready` (held). Expand-only: the set of allowed statuses grows; old code
 * never writes the new value and reads it as an unfinished version.
 */
export class VersionStatusActivating1764300000000 implements MigrationInterface {
  name = 'VersionStatusActivating1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_versions DROP CONSTRAINT module_versions_status_check`);
    await runner.query(
      `ALTER TABLE module_versions ADD CONSTRAINT module_versions_status_check CHECK (${check(AFTER)})`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`UPDATE module_versions SET status = 'ready' WHERE status = 'activating'`);
    await runner.query(`ALTER TABLE module_versions DROP CONSTRAINT module_versions_status_check`);
    await runner.query(
      `ALTER TABLE module_versions ADD CONSTRAINT module_versions_status_check CHECK (${check(BEFORE)})`,
    );
  }
}
