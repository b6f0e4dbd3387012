export class HotReloadError extends Error {
  constructor(
    readonly code: 'no_active_version' | 'job_not_found',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HotReloadError';
  }
}
