import { Logger } from '@nestjs/common';
import type { AuditRepository } from '@seed/code-store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorLabel, type Actor } from '../actor.js';
import { ApiError } from '../api-error.js';
import { openAiError } from '../chat.controller.js';
import { toErrorResponse } from '../error.filter.js';
import type { RouteInfo } from '../route-catalog.js';
import type { RateLimiter } from './rate-limiter.js';
import { bearerSecret, type TokenRegistry } from './token-registry.js';

export interface Authentication {
  /** The routes, their roles and audit actions (read once, on the first request). */
  routes(): readonly RouteInfo[];
  tokens: TokenRegistry;
  /** Per token on the control plane, and failed attempts per client address. */
  limiter: RateLimiter;
  /** Per token on the data plane (invocations); absent when off. */
  invokeLimiter?: RateLimiter;
  /** Per client address on the routes that need no token (and on unknown paths). */
  publicLimiter: RateLimiter;
  audit: AuditRepository;
}

const logger = new Logger('Auth');

/**
 * Authentication, rate limits and roles in Fastify's onRequest hook, before any body is read or parsed
 * (Nest's guards would run after parsing): a caller without a valid token or the right role never costs a
 * parse, and every request, refused ones included, spends its budget first. Every route needs a token
 * unless marked @Public; roles come from @Roles (admin only when absent). Sets `request.actor`.
 */
export function addAuthentication(fastify: FastifyInstance, auth: Authentication): void {
  let byRoute: Map<string, RouteInfo> | undefined;
  const routeOf = (request: FastifyRequest): RouteInfo | 'unmatched' | undefined => {
    const url = request.routeOptions.url;
    if (url === undefined) return 'unmatched';
    byRoute ??= new Map(auth.routes().map((r) => [`${r.method} ${r.path}`, r]));
    // Fastify answers HEAD with the GET route.
    return byRoute.get(`${request.method === 'HEAD' ? 'GET' : request.method} ${url}`);
  };

  fastify.addHook('onRequest', async (request, reply) => {
    const route = routeOf(request);
    const now = Date.now();
    const found = auth.tokens.find(bearerSecret(request.headers.authorization));
    const expired = found?.expiresAtMs != null && found.expiresAtMs <= now;
    const token = expired ? undefined : found;
    const actor: Actor | undefined = token && {
      name: token.name,
      role: token.role,
      ...(token.modules ? { modules: token.modules } : {}),
    };
    (request as { actor?: Actor }).actor = actor;
    try {
      // Unknown paths answer 404 with no token; a route missing from the catalog is admin-only.
      // The console's static files and its queue view (console-headers.ts) mark their routes public.
      const routeConfig = request.routeOptions.config as { public?: boolean } | undefined;
      if (route === 'unmatched' || route?.public || routeConfig?.public) {
        spend(auth.publicLimiter, `public:${request.ip}`, reply);
        return;
      }
      if (!token || !actor) {
        // Failed attempts spend a bucket of the caller's address, so guessing tokens is throttled too.
        spend(auth.limiter, `address:${request.ip}`, reply);
        if (expired) throw new ApiError('unauthorized', `token ${found.name} has expired`);
        throw new ApiError('unauthorized', 'a valid bearer token is required');
      }
      if (!route?.dataPlane) spend(auth.limiter, `token:${actor.name}`, reply);
      else if (auth.invokeLimiter) spend(auth.invokeLimiter, `invocations of token:${actor.name}`, reply);
      auth.tokens.used(token, now);
      const allowed = route?.roles ?? ['admin'];
      if (!allowed.includes(actor.role)) {
        if (route?.audit) await auditDenied(auth.audit, actor, route.audit, request);
        throw new ApiError(
          'forbidden',
          `role ${actor.role} may not use this route (allowed: ${allowed.join(', ')})`,
        );
      }
      const module = (request.params as Record<string, string> | undefined)?.name;
      if (route?.moduleScoped && actor.modules && !actor.modules.includes(module ?? '')) {
        throw new ApiError(
          'forbidden',
          `token ${actor.name} may invoke only ${actor.modules.join(', ')}, not ${module ?? '(none)'}`,
        );
      }
      const config = request.routeOptions.config as { noRequestTimeout?: boolean } | undefined;
      if (request.method === 'HEAD' && config?.noRequestTimeout) {
        // A stream has no headers-only form: HEAD would hold the connection open with nothing to send.
        void reply.header('allow', 'GET');
        throw new ApiError('method_not_allowed', `HEAD is not allowed on ${request.routeOptions.url}`);
      }
    } catch (error) {
      const { status, body } =
        route !== 'unmatched' && route?.path.startsWith('/v1/')
          ? openAiError(error, logger)
          : toErrorResponse(error, logger);
      return reply.code(status).send(body);
    }
  });
}

function spend(limiter: RateLimiter, key: string, reply: FastifyReply): void {
  const limit = limiter.take(key, Date.now());
  if (limit.allowed) return;
  void reply.header('retry-after', String(limit.retryAfterSeconds));
  throw new ApiError('rate_limited', `${key} is over its rate limit`, {
    retryAfterSeconds: limit.retryAfterSeconds,
  });
}

/**
 * A refused state-changing action is an audit event too (reads and invocations are not): one row per
 * actor, action and minute with a count, so a flood of refusals cannot flood the table.
 */
async function auditDenied(
  audit: AuditRepository,
  actor: Actor,
  action: string,
  request: FastifyRequest,
): Promise<void> {
  const target = (request.params as Record<string, string> | undefined)?.name ?? 'modules';
  try {
    await audit.recordDenial({ actor: actorLabel(actor), action, target });
  } catch (error) {
    logger.error(`audit write failed for refused ${action} on ${target}: ${(error as Error).message}`);
  }
}
