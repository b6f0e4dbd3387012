import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** Takes the response over from Fastify and starts a server-sent event stream on it. */
export function startEventStream(reply: FastifyReply): ServerResponse {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // proxies (nginx) must not buffer the stream
    'x-accel-buffering': 'no',
    // hijacked replies skip Fastify's onSend hook, which sets it for every other route
    'x-request-id': String(reply.request.id),
  });
  return reply.raw;
}
