import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@seed/config';
import type { FastifyReply } from 'fastify';
import { AuditRepository } from '@seed/code-store';
import { ApiError } from '../api-error.js';
import { AUDIT_KEY } from '../audit/audit.decorator.js';
import type { Actor } from '../actor.js';
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator.js';
import { RateLimiter } from './rate-limiter.js';
import { bearerSecret, TokenRegistry } from './token-registry.js';

/**
 * Global guard: every route needs a bearer token unless marked @Public; roles come from @Roles (admin
 * only when absent); each token has its own rate limit, and failed attempts one per client address.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenRegistry,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditRepository,
  ) {}

  /** A refused state-changing action is an audit event too (reads and invocations are not). */
  private async auditDenied(context: ExecutionContext, name: string, role: Role): Promise<void> {
    const action = this.reflector.get<string | undefined>(AUDIT_KEY, context.getHandler());
    if (!action) return;
    const request = context.switchToHttp().getRequest<{ params?: Record<string, string> }>();
    await this.audit
      .write({
        actor: `${role}:${name}`,
        action,
        target: request.params?.name ?? 'modules',
        outcome: 'forbidden',
      })
      .catch(() => undefined);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; ip: string; actor?: Actor }>();
    const token = this.tokens.find(bearerSecret(request.headers.authorization));
    if (!token) {
      // Failed attempts spend a bucket of the caller's address, so guessing tokens is throttled too.
      this.spend(context, `address:${request.ip}`);
      throw new ApiError('unauthorized', 'a valid bearer token is required');
    }
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'];
    if (!allowed.includes(token.role)) {
      await this.auditDenied(context, token.name, token.role);
      throw new ApiError(
        'forbidden',
        `role ${token.role} may not use this route (allowed: ${allowed.join(', ')})`,
      );
    }
    this.spend(context, `token:${token.name}`);
    request.actor = { name: token.name, role: token.role };
    return true;
  }

  private spend(context: ExecutionContext, key: string): void {
    const limit = this.limiter.take(key, Date.now());
    if (limit.allowed) return;
    context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(limit.retryAfterSeconds));
    throw new ApiError('rate_limited', `${key} is over its rate limit`, {
      retryAfterSeconds: limit.retryAfterSeconds,
    });
  }
}
