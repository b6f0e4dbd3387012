import { DomainError } from '@seed/errors';

export type CodeStoreErrorCode =
  | 'module_not_found'
  | 'version_not_found'
  | 'module_exists'
  | 'conflict'
  | 'not_activatable'
  /** the module's suite would hold more than CASES_MAX_PER_MODULE cases */
  | 'too_many_cases';

/** Errors of the code store; the HTTP layer maps `code` to a status in one place. */
export class CodeStoreError extends DomainError<CodeStoreErrorCode> {}

/** Refuses (`too_many_cases`) a suite of `existing` cases growing by `adding` past `maxCases`. */
export function assertCaseRoom(existing: number, adding: number, maxCases: number): void {
  if (existing + adding > maxCases) {
    throw new CodeStoreError(
      'too_many_cases',
      `the module would have ${existing + adding} test cases; the limit is ${maxCases} (CASES_MAX_PER_MODULE)`,
      { existing, adding, max: maxCases },
    );
  }
}
