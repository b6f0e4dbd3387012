import { randomBytes } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import { ApiTokenEntity, ApiTokensRepository } from '@seed/code-store';
import { hashSecret, type Role } from '@seed/config';
import { ApiError } from '../api-error.js';
import { type KnownToken, TokenRegistry } from './token-registry.js';

/** The bus makes changes immediate; this reload catches what a lost message or a Redis outage missed. */
const RELOAD_INTERVAL_MS = 30_000;

export interface NewToken {
  name: string;
  role: Role;
  modules?: string[];
  expiresAt?: Date;
}

/**
 * Tokens created and revoked at runtime: stored as hashes in PostgreSQL, cached in the TokenRegistry of every
 * node, reloaded on the bus's token events (a revoked token is dropped from the cache on receipt), on a bus
 * reconnect and periodically.
 */
@Injectable()
export class RuntimeTokens implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Tokens');
  private timer?: NodeJS.Timeout;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly registry: TokenRegistry,
    private readonly repository: ApiTokensRepository,
    private readonly bus: ClusterBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.registry.recordUse = (name) =>
      void this.repository
        .touch([name], new Date())
        .catch((e: Error) => this.logger.warn(`last use of ${name} not recorded: ${e.message}`));
    this.unsubscribe = [
      this.bus.on(['token.created', 'token.revoked'], (message) => {
        if (message.type === 'token.revoked') this.registry.forget(message.token);
        void this.reload();
      }),
      this.bus.onReconnect(() => void this.reload()),
    ];
    this.timer = setInterval(() => void this.reload(), RELOAD_INTERVAL_MS);
    this.timer.unref();
    await this.reload();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  /** Returns the stored token and its secret, which is never seen again. */
  async create(token: NewToken, createdBy: string): Promise<{ entity: ApiTokenEntity; secret: string }> {
    if (this.registry.isBootstrapName(token.name)) {
      throw new ApiError('conflict', `token ${token.name} is an API_TOKENS token: choose another name`);
    }
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) {
      throw new ApiError('invalid_request', 'expiresAt is in the past');
    }
    const secret = `sa_${randomBytes(32).toString('base64url')}`;
    const entity = await this.repository.create({
      name: token.name,
      role: token.role,
      sha256: hashSecret(secret),
      modules: token.modules ? [...new Set(token.modules)] : null,
      expiresAt: token.expiresAt ?? null,
      createdBy,
    });
    await this.reload();
    await this.bus.publish({ type: 'token.created', token: token.name });
    return { entity, secret };
  }

  async revoke(name: string): Promise<void> {
    if (this.registry.isBootstrapName(name)) {
      throw new ApiError('conflict', `token ${name} comes from API_TOKENS: remove it there and restart`);
    }
    if (!(await this.repository.delete(name)))
      throw new ApiError('not_found', `token ${name} does not exist`);
    this.registry.forget(name);
    await this.bus.publish({ type: 'token.revoked', token: name });
  }

  async list(): Promise<ApiTokenEntity[]> {
    return this.repository.list();
  }

  private async reload(): Promise<void> {
    const snapshot = this.registry.snapshot();
    try {
      const rows = await this.repository.list();
      const tokens: KnownToken[] = rows.map((row) => ({
        name: row.name,
        role: row.role,
        sha256: row.sha256,
        modules: row.modules,
        expiresAtMs: row.expiresAt ? row.expiresAt.getTime() : null,
      }));
      // A revocation arrived while this load ran: its result may hold the revoked token; the next load will not.
      if (!this.registry.replaceRuntime(tokens, snapshot)) void this.reload();
    } catch (error) {
      this.logger.warn(`runtime tokens not reloaded (the cache keeps serving): ${(error as Error).message}`);
    }
  }
}
