import { z } from 'zod';
import { MAX_PREFER_WAIT_SECONDS } from './prefer-wait.js';
import type { RouteInfo } from './route-catalog.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const PREFER_WAIT_PARAMETER = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description:
    `wait=<seconds> (RFC 7240, at most ${MAX_PREFER_WAIT_SECONDS}): answer with the pipeline's outcome ` +
    '(status, activated, diagnostics) and Preference-Applied: wait when it decides in time; otherwise as without it',
  schema: { type: 'string', example: 'wait=10' },
};

/** Pure: the OpenAPI 3.1 document of the given routes, with bodies and queries from their zod schemas. */
export function openApiDocument(routes: RouteInfo[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...[...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...queryParameters(route.query),
      ...(route.preferWait ? [PREFER_WAIT_PARAMETER] : []),
    ];
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: `${route.controller.replace(/Controller$/, '')}.${route.handler}`,
      tags: [route.controller.replace(/Controller$/, '')],
      ...(route.public ? { security: [] } : { description: `Roles: ${route.roles.join(', ')}` }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        default: {
          description: 'Success, or an error',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Seed Agent control API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function queryParameters(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}
