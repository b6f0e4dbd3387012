import { DomainError } from '@seed/errors';

export type CodeStoreErrorCode =
  'module_not_found' | 'version_not_found' | 'module_exists' | 'conflict' | 'not_activatable';

/** Errors of the code store; the HTTP layer maps `code` to a status in one place. */
export class CodeStoreError extends DomainError<CodeStoreErrorCode> {}
