import type { RouteOptions } from '@seed/hot-reload';
import type { Actor } from './actor.js';
import { ApiError } from './api-error.js';
import { parseVersionRef } from './route-params.js';

/** The response header naming the version that served a call. */
export const SERVED_VERSION_HEADER = 'seed-version-served';

/**
 * `Seed-Version-Key` (sticky side of a rollout's split) and `Seed-Version` (a pin: admin and agent tokens only,
 * since a pin reaches versions no rollout exposes) as the invocation's route options.
 */
export function versionRouting(actor: Actor, key: string | undefined, pin: string | undefined): RouteOptions {
  if (key !== undefined && (key.length === 0 || key.length > 256)) {
    throw new ApiError('invalid_request', 'Seed-Version-Key must be 1-256 characters');
  }
  if (pin === undefined) return key === undefined ? {} : { versionKey: key };
  if (actor.role === 'viewer')
    throw new ApiError('forbidden', 'a viewer token cannot pin a version (Seed-Version)');
  const ref = parseVersionRef(pin.trim());
  // An agent may try any of its candidates, but only an activated (or canary) version acts on the world.
  return {
    pin: ref,
    withholdCapabilities: actor.role === 'agent',
    ...(key !== undefined ? { versionKey: key } : {}),
  };
}
