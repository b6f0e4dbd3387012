/** Errors of the improving agent; the HTTP layer maps `code` to a status in one place. */
export class AgentError extends Error {
  constructor(
    readonly code:
      | 'agent_disabled'
      | 'agent_disabled_for_module'
      | 'agent_daily_limit'
      | 'agent_busy'
      | 'invalid_request'
      | 'no_active_version'
      | 'job_not_found',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
