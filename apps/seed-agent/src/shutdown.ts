import type { INestApplication } from '@nestjs/common';

/**
 * Documented order (Nest hooks): readiness 503 → pause and close workers with a bound → close queues →
 * close Redis and PostgreSQL → then whatever the caller started outside Nest (embedded servers).
 * The whole sequence is bounded: a stuck step cannot keep a terminating pod alive forever.
 */
export async function shutdownGracefully(
  app: INestApplication,
  timeoutMs: number,
  afterClose: () => Promise<void>,
  log: (message: string) => void,
): Promise<'clean' | 'timed_out'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), timeoutMs);
  });
  const closing = (async () => {
    await app.close();
    await afterClose();
    return 'clean' as const;
  })();
  const outcome = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  log(outcome === 'clean' ? 'shutdown complete' : `shutdown exceeded ${timeoutMs} ms; exiting anyway`);
  return outcome;
}
