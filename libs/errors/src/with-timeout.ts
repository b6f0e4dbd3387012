import { DomainError } from './domain-error.js';

export type TimeoutErrorCode = 'dependency_timeout';

export class TimeoutError extends DomainError<TimeoutErrorCode> {
  constructor(what: string, ms: number) {
    super('dependency_timeout', `${what} did not answer within ${ms} ms`);
  }
}

/**
 * Bounds a promise: a hung dependency (Redis or PostgreSQL down, a stuck worker) becomes a clear TimeoutError
 * instead of a hung caller. The work itself is not cancelled; its late result or error is ignored.
 */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined); // a late rejection must not become an unhandled one
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
