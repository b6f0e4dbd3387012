import { Body, Query } from '@nestjs/common';
import type { z } from 'zod';
import { ZodPipe } from './zod-body.pipe.js';

export const BODY_SCHEMA = 'seed:body-schema';
export const QUERY_SCHEMA = 'seed:query-schema';

/**
 * A body validated by `schema`. The schema is also recorded on the handler, so the OpenAPI document is
 * generated from the very object that validates (never a hand-copied duplicate).
 */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Reflect.defineMetadata(BODY_SCHEMA, schema, target, key!);
    Body(new ZodPipe(schema))(target, key, index);
  };
}

export function ValidQuery(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Reflect.defineMetadata(QUERY_SCHEMA, schema, target, key!);
    Query(new ZodPipe(schema))(target, key, index);
  };
}
