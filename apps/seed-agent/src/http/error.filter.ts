import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError } from '@seed/errors';
import type { FastifyReply } from 'fastify';
import { ApiError } from './api-error.js';
import { statusForCode } from './error-status.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface ErrorResponse<Body = ErrorBody> {
  status: number;
  body: Body;
}

/** Maps every error to `{ error: { code, message, details? } }`; unknown errors are 500 and logged. */
export function toErrorResponse(error: unknown, logger: Logger): ErrorResponse {
  if (error instanceof DomainError) {
    const status = statusForCode(error.code);
    if (status !== undefined) {
      return {
        status,
        body: { error: { code: error.code, message: error.message, details: error.details } },
      };
    }
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return { status, body: { error: { code: httpCode(status), message: error.message } } };
  }
  // Fastify's own errors (body too large, bad JSON) carry an HTTP status.
  const fastify = error as { code?: unknown; message?: unknown; statusCode?: unknown };
  if (
    typeof fastify?.code === 'string' &&
    typeof fastify.statusCode === 'number' &&
    fastify.statusCode >= 400 &&
    fastify.statusCode < 500
  ) {
    return {
      status: fastify.statusCode,
      body: { error: { code: httpCode(fastify.statusCode), message: String(fastify.message) } },
    };
  }
  if (isDependencyDown(error)) {
    logger.warn(`dependency unavailable: ${(error as Error).message}`);
    return toErrorResponse(
      new ApiError('unavailable', 'a dependency (PostgreSQL or Redis) is unavailable; retry later'),
      logger,
    );
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

function httpCode(status: number): string {
  const names: Record<number, string> = {
    400: 'invalid_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    408: 'request_timeout',
    409: 'conflict',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
    503: 'unavailable',
  };
  return names[status] ?? (status >= 500 ? 'internal' : 'invalid_request');
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  protected readonly logger = new Logger('HTTP');

  /** The body shape the routes' clients expect (the OpenAI-compatible routes answer in OpenAI's). */
  protected respond(error: unknown): ErrorResponse<unknown> {
    return toErrorResponse(error, this.logger);
  }

  catch(error: unknown, host: ArgumentsHost): void {
    send(host.switchToHttp().getResponse<FastifyReply>(), this.respond(error));
  }
}

/** Answers `error` in the API's shape, on a route outside Nest's (the data plane). */
export function sendError(reply: FastifyReply, error: unknown, logger: Logger): FastifyReply {
  return send(reply, toErrorResponse(error, logger));
}

function send(reply: FastifyReply, { status, body }: ErrorResponse<unknown>): FastifyReply {
  // Overload clears quickly: tell clients when to retry (the rate limiter sets its own, exact value).
  if (status === 429 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
  return reply.status(status).send(body);
}

/** Network errors and PostgreSQL's connection-class and shutdown SQLSTATEs: the platform, not the request. */
const DEPENDENCY_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);

function isDependencyDown(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = String(e?.driverError?.code ?? e?.code ?? '');
  if (DEPENDENCY_DOWN.has(code) || code.startsWith('08')) return true;
  return /Connection terminated|connect ECONNREFUSED|Connection is closed|timeout exceeded when trying to connect/i.test(
    String(e?.message ?? ''),
  );
}
