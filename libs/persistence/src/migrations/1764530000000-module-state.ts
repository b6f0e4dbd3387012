import { MigrationInterface, QueryRunner } from 'typeorm';

/** `ctx.kv` state (expand only: a new table no running release reads). */
export class ModuleState1764530000000 implements MigrationInterface {
  name = 'ModuleState1764530000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE module_state (
        module_id uuid NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        bytes integer NOT NULL,
        expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT module_state_pkey PRIMARY KEY (module_id, key),
        CONSTRAINT module_state_module_id_fkey FOREIGN KEY (module_id) REFERENCES modules(id) ON DELETE CASCADE
      )`);
    await runner.query(
      `CREATE INDEX module_state_expires_idx ON module_state (expires_at) WHERE expires_at IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE module_state`);
  }
}
