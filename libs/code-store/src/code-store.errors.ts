/** Errors of the code store; the HTTP layer maps `code` to a status in one place. */
export class CodeStoreError extends Error {
  constructor(
    readonly code:
      'module_not_found' | 'version_not_found' | 'module_exists' | 'conflict' | 'not_activatable',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CodeStoreError';
  }
}
