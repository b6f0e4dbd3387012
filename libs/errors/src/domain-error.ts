/**
 * The base of every typed error the libs throw. `code` is a member of the throwing lib's own string-literal
 * union, so the HTTP layer can map every code to a status in one exhaustive table; `details` is what the
 * caller may be shown, never a secret.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
