import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Route config (`@RouteConfig(NO_REQUEST_TIMEOUT)`) for long-lived responses: server-sent events. */
export const NO_REQUEST_TIMEOUT = { noRequestTimeout: true } as const;

/**
 * No request is held longer than `ms` (give or take a quarter of it, at most a second): past it the client
 * gets 503 `request_timeout` instead of a hang. One sweeping timer over a map of deadlines rather than a
 * timer or an rxjs interceptor per request, which cost a quarter of the invoke throughput (npm run bench).
 * A handler finishing later finds the reply sent, and Fastify drops its answer.
 */
export function addRequestTimeout(fastify: FastifyInstance, ms: number): void {
  // Insertion order is deadline order (one timeout for all), so a sweep stops at the first live request.
  const deadlines = new Map<FastifyRequest, { reply: FastifyReply; deadline: number }>();
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [request, { reply, deadline }] of deadlines) {
        if (deadline > now) break;
        deadlines.delete(request);
        if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) continue;
        void reply
          .code(503)
          .send({ error: { code: 'request_timeout', message: `the request took longer than ${ms} ms` } });
      }
    },
    Math.max(10, Math.min(1000, Math.floor(ms / 4))),
  );
  sweep.unref();
  fastify.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as { noRequestTimeout?: boolean } | undefined;
    if (!config?.noRequestTimeout) deadlines.set(request, { reply, deadline: Date.now() + ms });
    done();
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    deadlines.delete(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    deadlines.delete(request);
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
}
