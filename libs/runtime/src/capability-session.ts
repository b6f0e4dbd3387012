import { DomainError } from '@seed/errors';
import type { JsonValue } from './loaded-version.js';

/** The ctx members a grant can add; each is `undefined` in ctx unless the session grants it. */
export const CAPABILITY_NAMES = ['call', 'kv', 'fetch', 'model', 'secret'] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Why a capability call failed; the module sees it as `error.code` of a ctx.CapabilityError it can catch. */
export const CAPABILITY_ERROR_CODES = [
  /** what backs the capability (PostgreSQL, the model, the network) cannot be reached now */
  'capability_unavailable',
  /** the grant does not cover it (a module not in `call`, an origin not in `fetch`, a secret not granted) */
  'capability_denied',
  /** a bound of the call was passed: calls per invocation, argument or result size, time, count */
  'capability_limit',
  /** the arguments are not what the capability takes */
  'invalid_capability_args',
  /** the module's kv quota or its model token budget is spent */
  'quota_exceeded',
  /** ctx.call nested deeper than the depth limit */
  'call_depth',
  /** ctx.call would call a module already on the call chain */
  'call_cycle',
  /** the callee failed; details.code is its failure code */
  'call_failed',
  /** ctx.fetch's res.json(): the response body is not JSON */
  'invalid_json',
] as const;
export type CapabilityErrorCode = (typeof CAPABILITY_ERROR_CODES)[number];

export class CapabilityError extends DomainError<CapabilityErrorCode> {}

/**
 * The host side of one invocation's capabilities, as the runtime sees it (libs/capabilities implements it). The
 * runtime validates and size-caps what the module passes before `request` sees it, and copies the result in.
 */
export interface CapabilitySession {
  /** ctx members to build; the rest stay undefined */
  readonly granted: readonly CapabilityName[];
  /** capability calls one invocation may make (SANDBOX_MAX_CAPABILITY_CALLS) */
  readonly maxCalls: number;
  /** per-invocation placeholders of the granted secrets, by name (ctx.secret answers them) */
  readonly secretHandles?: Readonly<Record<string, string>>;
  /** One call of the module. Resolves to JSON (undefined: none); rejects with CapabilityError. */
  request(capability: CapabilityName, op: string, args: readonly JsonValue[]): Promise<JsonValue | undefined>;
}

/** Longest JSON of one capability call's arguments, and of what comes back, in UTF-16 units. */
export const MAX_CAPABILITY_ARGS = 1024 * 1024;
export const MAX_CAPABILITY_RESULT = 8 * 1024 * 1024;
