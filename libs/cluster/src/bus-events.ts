import type { Diagnostic } from '@seed/code-store';

/**
 * Every message on the cluster bus, by type. Published to every node (GET /events shows them all); the
 * module.* ones are also the hints nodes reload on. Declaring a type here is the only way to publish it:
 * an unknown type, a missing or an extra field does not compile.
 */
export type BusEvent =
  | { type: 'version.submitted'; module: string; versionId: string; seq: number }
  | { type: 'version.stage'; module: string; versionId: string; stage: string }
  | {
      type: 'version.rejected';
      module: string;
      versionId: string;
      stage: string;
      /** The first few only: events are previews, the version holds the rest. */
      diagnostics: Diagnostic[];
    }
  | { type: 'version.ready'; module: string; versionId: string; held: boolean }
  | { type: 'version.superseded'; module: string; versionId: string; activeVersionId: string | null }
  | {
      type: 'version.load_failed';
      module: string;
      versionId: string;
      seq: number;
      servingVersionId: string | null;
      message: string;
    }
  | ActivationEvent<'module.activated'>
  | ActivationEvent<'module.rolled_back'>
  | { type: 'module.settings_changed'; module: string }
  | { type: 'module.deleted'; module: string }
  /** a rollout started, moved weight, paused, resumed or ended: nodes re-read its routing from PostgreSQL */
  | {
      type: 'rollout.changed';
      module: string;
      rolloutId: string;
      versionId: string;
      status: string;
      step: number;
      weight: number;
    }
  /** one decision about a rollout (the analyser's verdict with what it saw, or a person's action) */
  | {
      type: 'rollout.decision';
      module: string;
      rolloutId: string;
      step: number;
      weight: number;
      verdict: string | null;
      reason: string;
      action: string;
    }
  | TokenEvent<'token.created'>
  | TokenEvent<'token.revoked'>
  | {
      type: 'improvement.round';
      module: string;
      runId: string;
      round: number;
      candidates: number;
      evaluated: number;
      ready: number;
      activatedVersionId?: string;
    }
  | {
      type: 'improvement.done';
      module: string;
      runId: string;
      stopReason: string;
      rounds: number;
      candidates: number;
      activatedVersionId?: string;
    };

interface ActivationEvent<T extends string> {
  type: T;
  module: string;
  versionId: string;
  fromVersionId: string | null;
  seq: number;
  reason: string;
}

/** Runtime tokens changed: every node reloads its token cache (a revoked one is dropped at once). */
interface TokenEvent<T extends string> {
  type: T;
  /** The token's name, never its secret or hash. */
  token: string;
}

export type BusEventType = BusEvent['type'];

/** What subscribers receive: the event, the node it happened on, and when. */
export type BusMessage = BusEvent & { node: string; at: string };

export type BusMessageOf<T extends BusEventType> = Extract<BusMessage, { type: T }>;

/** Messages after which a node must reload a module from PostgreSQL. */
export const MODULE_CHANGES = [
  'module.activated',
  'module.rolled_back',
  'module.settings_changed',
  'module.deleted',
] as const satisfies readonly BusEventType[];

export type ModuleChange = BusMessageOf<(typeof MODULE_CHANGES)[number]>;

const TYPES: Record<BusEventType, true> = {
  'version.submitted': true,
  'version.stage': true,
  'version.rejected': true,
  'version.ready': true,
  'version.superseded': true,
  'version.load_failed': true,
  'module.activated': true,
  'module.rolled_back': true,
  'module.settings_changed': true,
  'module.deleted': true,
  'rollout.changed': true,
  'rollout.decision': true,
  'token.created': true,
  'token.revoked': true,
  'improvement.round': true,
  'improvement.done': true,
};

const TOKEN_TYPES = new Set<string>(['token.created', 'token.revoked'] satisfies BusEventType[]);

/** Messages come from Redis, which anyone with access can write to: keep only well-formed known ones. */
export function parseBusMessage(raw: string): BusMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, module, token, node, at } = value as Record<string, unknown>;
  if (typeof type !== 'string' || !Object.hasOwn(TYPES, type)) return null;
  // Token events are about a token, every other one about a module.
  const subject = TOKEN_TYPES.has(type) ? token : module;
  if (typeof subject !== 'string' || typeof node !== 'string' || typeof at !== 'string') return null;
  return value as BusMessage;
}
