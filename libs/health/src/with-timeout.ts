import { DomainError } from '@seed/errors';

export type HealthErrorCode = 'dependency_timeout';

export class TimeoutError extends DomainError<HealthErrorCode> {
  constructor(what: string, ms: number) {
    super('dependency_timeout', `${what} did not answer within ${ms} ms`);
  }
}

/** Bounds a check so a hung dependency turns into a clear failure instead of a hung probe. */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
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
