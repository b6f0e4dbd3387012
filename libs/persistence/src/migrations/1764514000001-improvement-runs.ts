import { MigrationInterface, QueryRunner } from 'typeorm';

/** Improvement runs and their candidates as records. Expand-only: new tables that old code never reads. */
export class ImprovementRuns1764514000001 implements MigrationInterface {
  name = 'ImprovementRuns1764514000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE improvement_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        module_id uuid NOT NULL,
        goal text NOT NULL,
        goal_cases jsonb NOT NULL DEFAULT '[]'::jsonb,
        options jsonb NOT NULL,
        state text NOT NULL DEFAULT 'running',
        stop_reason text,
        rounds_done integer NOT NULL DEFAULT 0,
        tokens integer NOT NULL DEFAULT 0,
        cost_usd double precision NOT NULL DEFAULT 0,
        cancel_requested boolean NOT NULL DEFAULT false,
        activated_version_id uuid,
        requested_by text NOT NULL,
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT improvement_runs_module_id_fkey FOREIGN KEY (module_id) REFERENCES modules(id) ON DELETE CASCADE
      )`);
    await runner.query(
      `CREATE INDEX improvement_runs_module_created_idx ON improvement_runs (module_id, created_at)`,
    );
    await runner.query(`
      CREATE TABLE improvement_candidates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL,
        round integer NOT NULL,
        index integer NOT NULL,
        parent_version_id uuid,
        parent_why text NOT NULL,
        edit_kind text,
        prompt text NOT NULL,
        model text NOT NULL,
        usage jsonb NOT NULL DEFAULT '{}'::jsonb,
        cost_usd double precision NOT NULL DEFAULT 0,
        version_id uuid,
        normalised_sha256 text,
        status text NOT NULL,
        utility double precision,
        decision text,
        feedback jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT improvement_candidates_run_id_fkey FOREIGN KEY (run_id) REFERENCES improvement_runs(id) ON DELETE CASCADE
      )`);
    await runner.query(
      `CREATE INDEX improvement_candidates_run_idx ON improvement_candidates (run_id, round, index)`,
    );
    await runner.query(
      `CREATE INDEX improvement_candidates_parent_idx ON improvement_candidates (parent_version_id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE improvement_candidates`);
    await runner.query(`DROP TABLE improvement_runs`);
  }
}
