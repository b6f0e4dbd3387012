import { DomainError } from '@seed/errors';

export type IntegrationErrorCode =
  /** No credentials for the provider (or the provider rejected them). */
  | 'missing_api_key'
  /** The CLI binary is not there (ENOENT) or not executable. */
  | 'cli_not_found'
  /** The CLI exited non-zero or reported a failure. */
  | 'cli_failed'
  /** The CLI did not answer within CLI_TIMEOUT; it was stopped. */
  | 'cli_timeout'
  /** CLI_MAX_CONCURRENT CLI processes are running and CLI_QUEUE_LIMIT calls wait already: retry later. */
  | 'model_busy'
  /** The CLI (or the model) answered something we cannot read. */
  | 'malformed_output'
  /** A model spec names a provider nobody registered. */
  | 'unknown_provider'
  /** A model name that is not acceptable (empty where required, or shaped like a command-line flag). */
  | 'invalid_model'
  /** An HTTP provider (anthropic, openai-compatible) answered with an error. */
  | 'provider_failed';

/**
 * Errors of the model integrations; the HTTP layer maps `code` to a status in one place. Messages never
 * contain a secret: stderr excerpts are redacted before they get here.
 */
export class IntegrationError extends DomainError<IntegrationErrorCode> {}
