import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';

/**
 * Every body this API reads is JSON: a body of another type (or of none declared) is refused with 415
 * before parsing, instead of reaching validation as a string or as nothing and failing there with a
 * misleading message. Requests without a body (a bare POST /rollback) are not concerned.
 */
export function requireJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    const { headers } = request;
    const hasBody =
      headers['transfer-encoding'] !== undefined ||
      (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    if (!hasBody) return;
    const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/json') return;
    throw new ApiError(
      'unsupported_media_type',
      `request bodies must be JSON: send content-type: application/json (got ${type ? JSON.stringify(type) : 'none'})`,
    );
  });
}
