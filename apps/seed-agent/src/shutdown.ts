import type { INestApplication } from '@nestjs/common';
import { TimeoutError, withTimeout } from '@seed/errors';

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
  const closing = (async () => {
    await app.close();
    await afterClose();
  })();
  let outcome: 'clean' | 'timed_out' = 'clean';
  try {
    await withTimeout('shutdown', timeoutMs, closing);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    outcome = 'timed_out';
  }
  log(outcome === 'clean' ? 'shutdown complete' : `shutdown exceeded ${timeoutMs} ms; exiting anyway`);
  return outcome;
}
