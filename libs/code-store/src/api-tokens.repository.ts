import { Injectable } from '@nestjs/common';
import type { Role } from '@seed/config';
import { DataSource } from 'typeorm';
import { CodeStoreError } from './code-store.errors.js';
import { ApiTokenEntity } from './entities/api-token.entity.js';

export interface NewApiToken {
  name: string;
  role: Role;
  sha256: string;
  modules: string[] | null;
  expiresAt: Date | null;
  createdBy: string;
}

const PG_UNIQUE_VIOLATION = '23505';

/** The PostgreSQL seam for runtime tokens (api_tokens). */
@Injectable()
export class ApiTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(token: NewApiToken): Promise<ApiTokenEntity> {
    try {
      // insert, not save: save would overwrite a token of the same name.
      const repository = this.dataSource.getRepository(ApiTokenEntity);
      const entity = repository.create({ ...token, lastUsedAt: null });
      await repository.insert(entity);
      return entity;
    } catch (error) {
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === PG_UNIQUE_VIOLATION) {
        throw new CodeStoreError(
          'conflict',
          `token ${token.name} already exists: DELETE /tokens/${token.name} first`,
          {
            token: token.name,
          },
        );
      }
      throw error;
    }
  }

  async list(): Promise<ApiTokenEntity[]> {
    return this.dataSource.getRepository(ApiTokenEntity).find({ order: { name: 'ASC' } });
  }

  /** True when a token of that name existed. */
  async delete(name: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ApiTokenEntity).delete({ name });
    return (result.affected ?? 0) > 0;
  }

  async touch(names: readonly string[], at: Date): Promise<void> {
    if (!names.length) return;
    await this.dataSource.query(`UPDATE api_tokens SET last_used_at = $2 WHERE name = ANY($1)`, [names, at]);
  }
}
