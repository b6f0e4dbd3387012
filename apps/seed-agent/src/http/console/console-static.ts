import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { consoleContext } from './console-headers.js';

/** Where `npm run build:console` writes the console (relative to the working directory, like VERSION). */
export const CONSOLE_DIR = resolve('apps/console/dist');

/**
 * The console's page shell and assets at /ui/: public files, every datum they show is read from the API
 * with the signed-in token. Without a build, /ui/ says how to make one.
 */
export async function consoleStatic(instance: FastifyInstance): Promise<void> {
  consoleContext(instance);
  // The console lives at /ui/ (its pages are hash routes under it).
  instance.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  if (!existsSync(resolve(CONSOLE_DIR, 'index.html'))) {
    instance.get('/ui/*', async (_request, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(
          'The console is not built on this server: run npm run build:console (npm run build does it).\n',
        ),
    );
    return;
  }
  await instance.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: '/ui/',
    redirect: true,
    wildcard: true,
    index: ['index.html'],
    cacheControl: false,
    setHeaders: (response, path) => {
      // Hashed asset names never change content; the shell must be re-read to find new ones.
      void response.header(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}
