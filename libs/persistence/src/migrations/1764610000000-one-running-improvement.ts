import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one running improvement run per module: a partial unique index, so two starts at once cannot both
 * insert one. The previous release started runs without this rule, so a module may have several running: all
 * but its newest end as `failed` first (their engine sees the state at its next round and stops).
 */
export class OneRunningImprovement1764610000000 implements MigrationInterface {
  name = 'OneRunningImprovement1764610000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      UPDATE improvement_runs r SET state = 'finished', stop_reason = 'failed', finished_at = now()
       WHERE r.state = 'running'
         AND EXISTS (SELECT 1 FROM improvement_runs n
                      WHERE n.module_id = r.module_id AND n.state = 'running'
                        AND (n.created_at, n.id) > (r.created_at, r.id))`);
    await runner.query(
      `CREATE UNIQUE INDEX improvement_runs_one_running_idx ON improvement_runs (module_id) WHERE state = 'running'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX improvement_runs_one_running_idx`);
  }
}
