import type { CapabilityGrants } from '@seed/code-store';
import type { CapabilitiesConfig } from '@seed/config';
import type { CapabilityName } from '@seed/runtime';

/** A module's grants with every default filled in; absent members are not granted. */
export interface ResolvedGrants {
  readonly call?: { readonly modules: readonly string[] };
  readonly kv?: { readonly maxKeys: number; readonly maxBytes: number };
  readonly fetch?: {
    /** normalised origins */
    readonly origins: readonly string[];
    readonly maxRequests: number;
    readonly timeoutMs: number;
    readonly maxResponseBytes: number;
  };
}

/**
 * Fills the documented defaults (docs/capabilities.md): `kv: {}` is the node's KV_MAX_KEYS and KV_MAX_BYTES.
 * Grants this node cannot serve yet (model, secrets) are not granted.
 */
export function resolveGrants(
  grants: CapabilityGrants | undefined,
  config: CapabilitiesConfig,
): ResolvedGrants {
  if (!grants) return {};
  return {
    ...(grants.call ? { call: { modules: [...grants.call] } } : {}),
    ...(grants.kv
      ? {
          kv: {
            maxKeys: grants.kv.maxKeys ?? config.kv.maxKeys,
            maxBytes: grants.kv.maxBytes ?? config.kv.maxBytes,
          },
        }
      : {}),
    ...(grants.fetch
      ? {
          fetch: {
            origins: (grants.fetch.origins ?? []).map((o) => new URL(o).origin),
            maxRequests: grants.fetch.maxRequests ?? config.fetch.maxRequests,
            timeoutMs: grants.fetch.timeoutMs ?? config.fetch.timeoutMs,
            maxResponseBytes: grants.fetch.maxResponseBytes ?? config.fetch.maxResponseBytes,
          },
        }
      : {}),
  };
}

/** The ctx members the grants add. */
export function grantedNames(grants: ResolvedGrants): CapabilityName[] {
  const names: CapabilityName[] = [];
  if (grants.kv) names.push('kv');
  if (grants.call) names.push('call');
  if (grants.fetch) names.push('fetch');
  return names;
}
