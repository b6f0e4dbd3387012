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
  readonly secrets?: readonly string[];
  readonly model?: {
    /** a model spec (`provider[:model]`); absent: AGENT_MODEL */
    readonly model?: string;
    readonly maxTokensPerCall: number;
    readonly maxTokensPerDay: number;
  };
}

/**
 * Fills the documented defaults (docs/capabilities.md): `kv: {}` is the node's KV_MAX_KEYS and KV_MAX_BYTES.
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
    ...(grants.secrets ? { secrets: [...grants.secrets] } : {}),
    ...(grants.model
      ? {
          model: {
            ...(grants.model.model ? { model: grants.model.model } : {}),
            maxTokensPerCall: grants.model.maxTokensPerCall ?? config.model.maxTokensPerCall,
            maxTokensPerDay: grants.model.maxTokensPerDay ?? config.model.maxTokensPerDay,
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
  if (grants.model) names.push('model');
  if (grants.secrets) names.push('secret');
  return names;
}
