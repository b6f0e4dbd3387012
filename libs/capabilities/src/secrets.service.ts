import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { DomainError } from '@seed/errors';
import { DataSource } from 'typeorm';
import { SecretBox } from './secret-box.js';

export type SecretsErrorCode = 'secrets_unavailable';

export class SecretsError extends DomainError<SecretsErrorCode> {}

export interface SecretListing {
  readonly name: string;
  readonly origins: readonly string[];
  readonly updatedAt: Date;
}

/** A secret opened for one invocation's fetches. */
export interface OpenedSecret {
  readonly value: string;
  readonly origins: readonly string[];
}

/**
 * Module secrets in PostgreSQL, sealed with SECRETS_KEY. Write-only over the API: nothing here returns a value
 * except `open`, which only ctx.fetch's substitution calls.
 */
@Injectable()
export class SecretsService implements OnApplicationBootstrap {
  private readonly box?: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const { key, previousKey } = config.capabilities.secrets;
    if (key) this.box = new SecretBox(key, previousKey);
  }

  /** Production refuses to start with secrets it could not open. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.box || this.config.env !== 'production') return;
    const [row] = (await this.dataSource.query('SELECT count(*)::int AS n FROM module_secrets')) as Array<{
      n: number;
    }>;
    if (row.n > 0) {
      throw new Error(
        `SECRETS_KEY is not set, and ${row.n} module secrets exist: set it (the same on every node)`,
      );
    }
  }

  async put(moduleId: string, name: string, value: string, origins: readonly string[]): Promise<void> {
    const { keyId, sealed } = this.requireBox().seal(value, moduleId, name);
    await this.dataSource.query(
      `INSERT INTO module_secrets (module_id, name, key_id, sealed, origins) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (module_id, name) DO UPDATE
         SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, origins = EXCLUDED.origins, updated_at = now()`,
      [moduleId, name, keyId, sealed, JSON.stringify(origins)],
    );
  }

  async list(moduleId: string): Promise<SecretListing[]> {
    this.requireBox();
    const rows = (await this.dataSource.query(
      'SELECT name, origins, updated_at FROM module_secrets WHERE module_id = $1 ORDER BY name',
      [moduleId],
    )) as Array<{ name: string; origins: string[]; updated_at: Date }>;
    return rows.map((r) => ({ name: r.name, origins: r.origins, updatedAt: r.updated_at }));
  }

  /** The named secrets of a module that this node can open (for ctx.fetch's substitution only). */
  async open(moduleId: string, names: readonly string[]): Promise<Map<string, OpenedSecret>> {
    const opened = new Map<string, OpenedSecret>();
    if (!this.box || names.length === 0) return opened;
    const rows = (await this.dataSource.query(
      'SELECT name, key_id, sealed, origins FROM module_secrets WHERE module_id = $1 AND name = ANY($2)',
      [moduleId, names],
    )) as Array<{ name: string; key_id: string; sealed: Buffer; origins: string[] }>;
    for (const row of rows) {
      const value = this.box.open(row.key_id, row.sealed, moduleId, row.name);
      if (value !== undefined)
        opened.set(row.name, { value, origins: row.origins.map((o) => new URL(o).origin) });
    }
    return opened;
  }

  private requireBox(): SecretBox {
    if (!this.box) {
      throw new SecretsError(
        'secrets_unavailable',
        'secrets are unavailable: SECRETS_KEY is not set (64 hex characters, the same on every node)',
      );
    }
    return this.box;
  }
}
