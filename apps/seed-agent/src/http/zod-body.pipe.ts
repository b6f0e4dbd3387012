import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ApiError } from './api-error.js';

/** Validates a body or query against the same zod schema the OpenAPI document is generated from. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    return validated(this.schema, value);
  }
}

/** The value parsed by `schema` (an absent body is `{}`), or 400 `validation_failed` naming each issue. */
export function validated<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ApiError(
    'validation_failed',
    result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}
