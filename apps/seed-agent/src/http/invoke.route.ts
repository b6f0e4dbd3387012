import { Logger } from '@nestjs/common';
import type { CodeStoreRepository } from '@seed/code-store';
import { HotReloadError, type InvocationService } from '@seed/hot-reload';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from './actor.js';
import { invokeSchema } from './dto.js';
import { sendError } from './error.filter.js';
import { assertStorableJson } from './request-input.pipe.js';
import type { RouteInfo } from './route-catalog.js';
import { parseModuleName } from './route-params.js';
import { SERVED_VERSION_HEADER, versionRouting } from './version-headers.js';
import { validated } from './zod-body.pipe.js';

/**
 * The data plane's one route, as the catalog lists it: authentication, roles, module scopes, the OpenAPI entry
 * and the route walk read it like any controller's route.
 */
export const INVOKE_ROUTE: RouteInfo = {
  method: 'POST',
  path: '/modules/:name/invoke',
  controller: 'ModulesController',
  handler: 'invoke',
  public: false,
  dataPlane: true,
  roles: ['admin', 'agent', 'viewer'],
  body: invokeSchema,
  preferWait: false,
  moduleScoped: true,
};

export interface InvokeRouteDeps {
  invocations: InvocationService;
  store: CodeStoreRepository;
  maxJsonDepth: number;
}

const logger = new Logger('DataPlane');

/**
 * `POST /modules/:name/invoke` as a plain Fastify route beside Nest's: the hot path skips Nest's per-call
 * machinery (router context, param decorators, pipes, interceptors, exception zone), which cost more than the
 * call itself. It keeps everything a controller route has: the onRequest hooks (authentication, roles, rate
 * limits, JSON-only bodies, the request timeout) run first, and the checks of the global pipe (parameter,
 * JSON depth and strings) and of the body schema run here, in the same order and with the same errors.
 */
export function registerInvokeRoute(fastify: FastifyInstance, deps: InvokeRouteDeps): void {
  fastify.post(
    INVOKE_ROUTE.path,
    // Nest installs its error handler when it registers its own routes, after this one: errors of this route's
    // hooks (415 for a body that is not JSON, say) and handler get the API's error shape here.
    { errorHandler: (error, _request, reply) => sendError(reply, error, logger) },
    (request, reply) => invoke(request, reply, deps),
  );
}

async function invoke(request: FastifyRequest, reply: FastifyReply, deps: InvokeRouteDeps) {
  const name = parseModuleName((request.params as { name: string }).name);
  assertStorableJson('body', request.body, deps.maxJsonDepth);
  const body = validated(invokeSchema, request.body);
  const actor = (request as { actor?: Actor }).actor!;
  if (actor.role === 'viewer' && (await deps.store.getModule(name)).kind === 'evaluator')
    throw new HotReloadError(
      'evaluator_protected',
      `module ${name} is an evaluator: viewers cannot invoke it`,
    );
  const headers = request.headers;
  const route = versionRouting(
    actor,
    headers['seed-version-key'] as string | undefined,
    headers['seed-version'] as string | undefined,
  );
  const served = (versionId: string) => void reply.header(SERVED_VERSION_HEADER, versionId);
  return deps.invocations.invoke(name, body.input, actor.name, body.debug, { ...route, served });
}
