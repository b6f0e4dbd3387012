import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@seed/config';
import { ApiError } from '../api-error.js';
import type { Actor } from '../actor.js';
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator.js';
import { bearerSecret, TokenRegistry } from './token-registry.js';

/** Global guard: every route needs a bearer token unless marked @Public; roles come from @Roles. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; actor?: Actor }>();
    const token = this.tokens.find(bearerSecret(request.headers.authorization));
    if (!token) throw new ApiError(401, 'unauthorized', 'a valid bearer token is required');
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'];
    if (!allowed.includes(token.role)) {
      throw new ApiError(
        403,
        'forbidden',
        `role ${token.role} may not use this route (allowed: ${allowed.join(', ')})`,
      );
    }
    request.actor = { name: token.name, role: token.role };
    return true;
  }
}
