import { MigrationInterface, QueryRunner } from 'typeorm';

/** Encrypted module secrets (expand only: a new table). */
export class ModuleSecrets1764530000002 implements MigrationInterface {
  name = 'ModuleSecrets1764530000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE module_secrets (
        module_id uuid NOT NULL,
        name text NOT NULL,
        key_id text NOT NULL,
        sealed bytea NOT NULL,
        origins jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT module_secrets_pkey PRIMARY KEY (module_id, name),
        CONSTRAINT module_secrets_module_id_fkey FOREIGN KEY (module_id) REFERENCES modules(id) ON DELETE CASCADE
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE module_secrets`);
  }
}
