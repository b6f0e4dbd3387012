import { createBullBoard } from '@bull-board/api';
import { FastifyAdapter } from '@bull-board/fastify';
import { Logger } from '@nestjs/common';
import type { ApiToken } from '@seed/config';
import type { JobsRepository } from '@seed/jobs';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { toErrorResponse } from '../error.filter.js';
import { consoleContext } from './console-headers.js';
import { readCookie, UI_SESSION_COOKIE, verifySession } from './ui-session.js';

export const QUEUES_PATH = '/ui/queues';

const logger = new Logger('Queues');

/**
 * bull-board over the pipeline and agent queues at /ui/queues, read-only twice over (read-only adapters, and
 * nothing but GET reaches it), for admins holding the session cookie of POST /ui/session.
 */
export async function queuesBoard(
  instance: FastifyInstance,
  options: { jobs: JobsRepository; tokensNamed: (name: string) => readonly ApiToken[] },
): Promise<void> {
  consoleContext(instance);
  instance.addHook('onRequest', async (request, reply) => {
    const error = refusal(request.method, request.headers.cookie, options.tokensNamed);
    if (!error) return;
    if (error.code === 'method_not_allowed') void reply.header('allow', 'GET');
    // Answered here: this plugin context does not reach Nest's error filter.
    const { status, body } = toErrorResponse(error, logger);
    return reply.code(status).send(body);
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: options.jobs.boardQueues(),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Seed Agent queues' } },
  });
  await instance.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PATH });
}

function refusal(
  method: string,
  cookies: string | undefined,
  tokensNamed: (name: string) => readonly ApiToken[],
): ApiError | undefined {
  if (method !== 'GET' && method !== 'HEAD') {
    return new ApiError('method_not_allowed', 'the queue view is read-only');
  }
  if (!verifySession(readCookie(cookies, UI_SESSION_COOKIE), tokensNamed, Date.now())) {
    return new ApiError(
      'unauthorized',
      'open the queue view from the console, signed in with an admin token',
    );
  }
  return undefined;
}
