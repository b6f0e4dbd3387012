export class HotReloadError extends Error {
  constructor(
    readonly code: 'no_active_version' | 'not_activatable' | 'job_not_found' | 'conflict',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HotReloadError';
  }
}
