import type { ImprovementErrorCode } from '@seed/agent';
import type { SecretsErrorCode } from '@seed/capabilities';
import type { CodeStoreErrorCode } from '@seed/code-store';
import type { TimeoutErrorCode } from '@seed/errors';
import type { HotReloadErrorCode } from '@seed/hot-reload';
import type { AgentErrorCode, IntegrationErrorCode } from '@seed/integrations';
import type { RolloutErrorCode } from '@seed/rollout';
import type { InvokeFailureCode, LoadFailureCode } from '@seed/runtime';
import type { ApiErrorCode } from './api-error.js';

/** Every code a DomainError can carry: a lib that adds a code must give it a status below, or this does not compile. */
export type DomainErrorCode =
  | ApiErrorCode
  | CodeStoreErrorCode
  | HotReloadErrorCode
  | RolloutErrorCode
  | InvokeFailureCode
  | LoadFailureCode
  | AgentErrorCode
  | ImprovementErrorCode
  | IntegrationErrorCode
  | TimeoutErrorCode
  | SecretsErrorCode;

/**
 * The one place where domain error codes become HTTP statuses. Module failures are 422 (the module's
 * fault, not ours), overload is 429, and platform failures are 5xx.
 */
const STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  invalid_request: 400,
  input_not_json: 400,
  validation_failed: 400,
  json_too_deep: 400,
  unknown_provider: 400,
  invalid_model: 400,
  invalid_rollout: 400,
  unauthorized: 401,
  forbidden: 403,
  evaluator_protected: 403,
  evaluator_invalid: 422,
  rollout_not_allowed: 403,
  not_found: 404,
  module_not_found: 404,
  version_not_found: 404,
  job_not_found: 404,
  improvement_not_found: 404,
  method_not_allowed: 405,
  no_active_version: 404,
  not_loaded: 404,
  module_exists: 409,
  conflict: 409,
  not_activatable: 409,
  agent_disabled_for_module: 409,
  improvement_finished: 409,
  improvement_running: 409,
  too_many_cases: 409,
  idempotency_conflict: 409,
  rollout_in_progress: 409,
  no_rollout: 409,
  version_not_servable: 409,
  payload_too_large: 413,
  source_too_large: 413,
  unsupported_media_type: 415,
  timeout: 422,
  diff_too_large: 422,
  memory_limit: 422,
  runtime_error: 422,
  invalid_input: 422,
  case_fails_on_active: 422,
  output_not_json: 422,
  output_too_large: 422,
  syntax_error: 422,
  not_a_function: 422,
  overloaded: 429,
  rate_limited: 429,
  too_many_streams: 429,
  agent_daily_limit: 429,
  model_busy: 429,
  cli_failed: 502,
  malformed_output: 502,
  provider_failed: 502,
  disposed: 503,
  // a capability's failure the module let escape: the module's doing, except an outage behind the capability
  capability_unavailable: 503,
  capability_denied: 422,
  capability_limit: 422,
  invalid_capability_args: 422,
  quota_exceeded: 422,
  call_depth: 422,
  call_cycle: 422,
  call_failed: 422,
  invalid_json: 422,
  secrets_unavailable: 503,
  unavailable: 503,
  missing_api_key: 503,
  cli_not_found: 503,
  agent_disabled: 503,
  dependency_timeout: 503,
  cli_timeout: 504,
};

/** The status of a domain error's code; undefined for a code no lib declares (a bug, answered as a 500). */
export function statusForCode(code: string): number | undefined {
  return Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as DomainErrorCode] : undefined;
}
