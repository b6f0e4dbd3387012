import { MODULE_NAME_PATTERN, toVersionRef, type VersionRef } from '@seed/code-store';
import { AGENT_JOB_PREFIX } from '@seed/jobs';
import { ApiError } from './api-error.js';

/**
 * Every route parameter, by name, with the one function that parses it: the global RequestInputPipe
 * refuses a value that does not parse before any query sees it, and a parameter missing here is a bug
 * the route walk test finds.
 */
export const ROUTE_PARAMS: Readonly<Record<string, (raw: string) => unknown>> = {
  name: parseModuleName,
  id: parseVersionRef,
  jobId: parseJobId,
  tokenName: parseTokenName,
  runId: parseRunId,
  key: parseSecretName,
};

export type { VersionRef };

/** What every place that names a version accepts (routes, bodies, `?diff=`). */
export const VERSION_REF_HINT = 'a version id (uuid), a sequence number (3), active or latest';

/** A module secret's name, as grants list it (`capabilities.secrets`). */
export function parseSecretName(raw: string): string {
  if (/^[A-Z][A-Z0-9_]{0,63}$/.test(raw)) return raw;
  throw new ApiError(
    'invalid_request',
    `secret name ${preview(raw)} is invalid: capital letters, digits and underscores, starting with a letter, at most 64`,
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseModuleName(raw: string): string {
  if (MODULE_NAME_PATTERN.test(raw)) return raw;
  throw new ApiError(
    'invalid_request',
    `module name ${preview(raw)} is invalid: lowercase letters, digits and dashes, starting with a letter, at most 63`,
  );
}

export function parseVersionRef(raw: string): VersionRef {
  const ref = toVersionRef(raw);
  if (ref) return ref;
  throw new ApiError(
    'invalid_request',
    `version ${preview(raw)} is invalid: ${VERSION_REF_HINT} is expected`,
  );
}

/** The names API_TOKENS allows, so a runtime token can never shadow a bootstrap one by spelling. */
export const TOKEN_NAME_PATTERN = /^[\w.-]{1,64}$/;

export function parseTokenName(raw: string): string {
  if (TOKEN_NAME_PATTERN.test(raw)) return raw;
  throw new ApiError(
    'invalid_request',
    `token name ${preview(raw)} is invalid: 1-64 letters, digits, _ . - are expected`,
  );
}

/** An improvement run's id: a uuid. */
export function parseRunId(raw: string): string {
  if (UUID.test(raw)) return raw;
  throw new ApiError('invalid_request', `improvement run id ${preview(raw)} is invalid: a uuid is expected`);
}

/** A pipeline job's id is its version's id; an agent job's is `agent-<uuid>`. */
export function parseJobId(raw: string): string {
  const uuid = raw.startsWith(AGENT_JOB_PREFIX) ? raw.slice(AGENT_JOB_PREFIX.length) : raw;
  if (UUID.test(uuid)) return raw;
  throw new ApiError(
    'invalid_request',
    `job id ${preview(raw)} is invalid: a version id (uuid) or ${AGENT_JOB_PREFIX}<uuid> is expected`,
  );
}

/** The value as JSON (control characters escaped), cut short: error messages echo input safely. */
function preview(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
}
