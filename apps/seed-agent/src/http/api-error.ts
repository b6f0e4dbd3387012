import { DomainError } from '@seed/errors';

/** What the HTTP layer itself refuses with: authentication, roles, rate limits, stream caps, malformed requests. */
export type ApiErrorCode =
  | 'invalid_request'
  | 'validation_failed'
  | 'json_too_deep'
  | 'unsupported_media_type'
  | 'source_too_large'
  | 'diff_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'too_many_streams'
  | 'unavailable';

/** An error the control API answers with `{ error: { code, message, details? } }`. */
export class ApiError extends DomainError<ApiErrorCode> {}
