import { MODULE_NAME_PATTERN } from '@seed/code-store';
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
  key: parseSecretName,
};

/** A module secret's name, as grants list it (`capabilities.secrets`). */
export function parseSecretName(raw: string): string {
  if (/^[A-Z][A-Z0-9_]{0,63}$/.test(raw)) return raw;
  throw new ApiError(
    'invalid_request',
    `secret name ${preview(raw)} is invalid: capital letters, digits and underscores, starting with a letter, at most 64`,
  );
}

/** How a route names a version. Only ids today; sequence numbers and aliases are meant to join here. */
export type VersionRef = { kind: 'id'; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseModuleName(raw: string): string {
  if (MODULE_NAME_PATTERN.test(raw)) return raw;
  throw new ApiError(
    'invalid_request',
    `module name ${preview(raw)} is invalid: lowercase letters, digits and dashes, starting with a letter, at most 63`,
  );
}

export function parseVersionRef(raw: string): VersionRef {
  if (UUID.test(raw)) return { kind: 'id', id: raw };
  throw new ApiError(
    'invalid_request',
    `version ${preview(raw)} is invalid: a version id (uuid) is expected`,
  );
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
