import { DomainError } from '@seed/errors';

export type AgentErrorCode =
  | 'agent_disabled'
  | 'agent_disabled_for_module'
  | 'agent_daily_limit'
  | 'invalid_request'
  | 'no_active_version'
  | 'job_not_found';

/** Errors of the improving agent; the HTTP layer maps `code` to a status in one place. */
export class AgentError extends DomainError<AgentErrorCode> {}
