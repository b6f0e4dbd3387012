import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Role } from '@seed/config';
import type { z } from 'zod';
import { AUDIT_KEY } from './audit/audit.decorator.js';
import { PUBLIC_KEY, ROLES_KEY } from './auth/roles.decorator.js';
import { INVOKE_ROUTE } from './invoke.route.js';
import { PREFER_WAIT_KEY } from './prefer-wait.js';
import { BODY_SCHEMA, QUERY_SCHEMA } from './validated.js';

export interface RouteInfo {
  method: string;
  /** Fastify style: /modules/:name */
  path: string;
  controller: string;
  handler: string;
  public: boolean;
  /** An invocation (invoke.route.ts): its own rate limit, not the control plane's. */
  dataPlane: boolean;
  roles: Role[];
  /** The audit action of a state-changing route (@Audit). */
  audit?: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Honours `Prefer: wait` (@PreferWait). */
  preferWait: boolean;
  /** Runs a module: a token scoped to modules may only use it on those. */
  moduleScoped: boolean;
}

/**
 * Every route: the control API's read from Nest's own metadata, and the data plane's Fastify route
 * (invoke.route.ts). The source of authentication and roles (authenticate.hook.ts), of the OpenAPI document and
 * of the test that walks every route for 401/403, so none can drift from the handlers.
 */
@Injectable()
export class RouteCatalog {
  private cached?: RouteInfo[];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  routes(): RouteInfo[] {
    this.cached ??= [...this.controllerRoutes(), INVOKE_ROUTE];
    return this.cached;
  }

  private controllerRoutes(): RouteInfo[] {
    return this.discovery.getControllers().flatMap((wrapper) => {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type) return [];
      const prefix = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      const prototype = type.prototype as Record<string, unknown>;
      return this.scanner.getAllMethodNames(prototype).flatMap((name) => {
        const handler = prototype[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) return [];
        const isPublic = Boolean(
          Reflect.getMetadata(PUBLIC_KEY, handler) ?? Reflect.getMetadata(PUBLIC_KEY, type),
        );
        return [
          {
            method: RequestMethod[method],
            path: join(prefix, path),
            controller: type.name,
            handler: name,
            public: isPublic,
            dataPlane: false,
            roles: isPublic
              ? []
              : ((Reflect.getMetadata(ROLES_KEY, handler) as Role[] | undefined) ?? ['admin']),
            audit: Reflect.getMetadata(AUDIT_KEY, handler) as string | undefined,
            body: Reflect.getMetadata(BODY_SCHEMA, prototype, name) as z.ZodType | undefined,
            query: Reflect.getMetadata(QUERY_SCHEMA, prototype, name) as z.ZodType | undefined,
            preferWait: Reflect.getMetadata(PREFER_WAIT_KEY, handler) === true,
            moduleScoped: false,
          },
        ];
      });
    });
  }
}

function join(prefix: string, path: string): string {
  const full = `/${[prefix, path]
    .map((p) => p.replace(/^\/|\/$/g, ''))
    .filter(Boolean)
    .join('/')}`;
  return full;
}
