import { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES_BEFORE = [
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
const STATUSES_AFTER = [
  'queued',
  'compiling',
  'testing',
  'activating',
  'ready',
  'canary',
  'active',
  'retired',
  'rejected',
  'superseded',
];
const REASONS_BEFORE = ['gates', 'manual', 'rollback', 'canary'];
const REASONS_AFTER = [...REASONS_BEFORE, 'rollout'];

const list = (values: string[]) => values.map((v) => `'${v}'`).join(',');

/**
 * Rollouts and their decisions, the `canary` version status and the `rollout` activation reason. Expand-only:
 * new tables, and allowed values that grow; the previous release never writes them, and reads a `canary`
 * version as one that is not active.
 */
export class Rollouts1764520000000 implements MigrationInterface {
  name = 'Rollouts1764520000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_versions DROP CONSTRAINT module_versions_status_check`);
    await runner.query(
      `ALTER TABLE module_versions ADD CONSTRAINT module_versions_status_check CHECK (status IN (${list(STATUSES_AFTER)}))`,
    );
    await runner.query(`ALTER TABLE activations DROP CONSTRAINT activations_reason_check`);
    await runner.query(
      `ALTER TABLE activations ADD CONSTRAINT activations_reason_check CHECK (reason IN (${list(REASONS_AFTER)}))`,
    );
    await runner.query(`
      CREATE TABLE rollouts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        module_id uuid NOT NULL,
        version_id uuid NOT NULL,
        stable_version_id uuid NOT NULL,
        status text NOT NULL,
        steps jsonb NOT NULL,
        step integer NOT NULL DEFAULT 0,
        weight double precision NOT NULL,
        interval_ms integer NOT NULL,
        analysis jsonb NOT NULL,
        on_inconclusive text NOT NULL,
        failures integer NOT NULL DEFAULT 0,
        step_started_at timestamptz NOT NULL,
        fence bigint NOT NULL DEFAULT 0,
        actor text NOT NULL,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT rollouts_module_id_fkey FOREIGN KEY (module_id) REFERENCES modules(id) ON DELETE CASCADE,
        CONSTRAINT rollouts_status_check
          CHECK (status IN ('running','paused','promoted','rolled_back','aborted'))
      )`);
    await runner.query(`CREATE INDEX rollouts_module_idx ON rollouts (module_id, created_at)`);
    await runner.query(
      `CREATE UNIQUE INDEX rollouts_module_open_idx ON rollouts (module_id) WHERE status IN ('running', 'paused')`,
    );
    await runner.query(`
      CREATE TABLE rollout_decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rollout_id uuid NOT NULL,
        seq integer NOT NULL,
        step integer NOT NULL,
        weight double precision NOT NULL,
        verdict text,
        reason text NOT NULL,
        action text NOT NULL,
        observed jsonb,
        thresholds jsonb,
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT rollout_decisions_rollout_id_fkey
          FOREIGN KEY (rollout_id) REFERENCES rollouts(id) ON DELETE CASCADE,
        CONSTRAINT rollout_decisions_seq_key UNIQUE (rollout_id, seq),
        CONSTRAINT rollout_decisions_verdict_check
          CHECK (verdict IS NULL OR verdict IN ('advance','promote','hold','rollback','inconclusive')),
        CONSTRAINT rollout_decisions_action_check
          CHECK (action IN ('advance','promote','hold','rollback','pause','resume','abort'))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE rollout_decisions`);
    await runner.query(`DROP TABLE rollouts`);
    await runner.query(`UPDATE module_versions SET status = 'ready' WHERE status = 'canary'`);
    await runner.query(`ALTER TABLE module_versions DROP CONSTRAINT module_versions_status_check`);
    await runner.query(
      `ALTER TABLE module_versions ADD CONSTRAINT module_versions_status_check CHECK (status IN (${list(STATUSES_BEFORE)}))`,
    );
    await runner.query(`UPDATE activations SET reason = 'manual' WHERE reason = 'rollout'`);
    await runner.query(`ALTER TABLE activations DROP CONSTRAINT activations_reason_check`);
    await runner.query(
      `ALTER TABLE activations ADD CONSTRAINT activations_reason_check CHECK (reason IN (${list(REASONS_BEFORE)}))`,
    );
  }
}
