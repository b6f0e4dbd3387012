import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tokens created at runtime (POST /tokens). Expand-only: a new table the previous release never reads. */
export class ApiTokens1764500000000 implements MigrationInterface {
  name = 'ApiTokens1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE api_tokens (
        name text NOT NULL,
        role text NOT NULL,
        sha256 text NOT NULL,
        modules text[],
        expires_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        CONSTRAINT api_tokens_pkey PRIMARY KEY (name),
        CONSTRAINT api_tokens_sha256_key UNIQUE (sha256),
        CONSTRAINT api_tokens_role_check CHECK (role IN ('admin','agent','viewer'))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE api_tokens`);
  }
}
