import { ArgumentMetadata, Inject, Injectable, PipeTransform } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ApiError } from './api-error.js';
import { inspectJson } from './json-input.js';
import { ROUTE_PARAMS } from './route-params.js';

/**
 * The global pipe, ahead of every route's own: route parameters are parsed by name (ROUTE_PARAMS), and
 * bodies and queries are refused when nested deeper than HTTP_MAX_JSON_DEPTH (before a recursive
 * validator can overflow its stack) or when a string or key holds what PostgreSQL cannot store.
 */
@Injectable()
export class RequestInputPipe implements PipeTransform {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'param') return this.param(metadata.data, value);
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    assertStorableJson(metadata.type, value, this.config.http.maxJsonDepth);
    return value;
  }

  private param(name: string | undefined, value: unknown): unknown {
    const parse = name === undefined ? undefined : ROUTE_PARAMS[name];
    // A programming error, not bad input: every parameter needs a parser (the route walk test finds it).
    if (!parse) throw new Error(`route parameter ${name ?? '(all)'} has no parser in ROUTE_PARAMS`);
    return parse(String(value ?? ''));
  }
}

/** Refuses a body or query nested deeper than `maxDepth` or holding a string PostgreSQL cannot store. */
export function assertStorableJson(where: 'body' | 'query', value: unknown, maxDepth: number): void {
  const problem = inspectJson(value, maxDepth);
  if (!problem) return;
  const path = [where, ...problem.path].join('.');
  throw new ApiError(
    problem.kind === 'too_deep' ? 'json_too_deep' : 'invalid_request',
    `${path}: ${problem.message}`,
    { path },
  );
}
