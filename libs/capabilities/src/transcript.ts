import type { CapabilityGrants } from '@seed/code-store';
import type { CapabilitiesConfig } from '@seed/config';
import { CapabilityError, type CapabilityName, type CapabilitySession, type JsonValue } from '@seed/runtime';
import { parseFetchArgs } from './fetch-args.js';
import { grantedNames, resolveGrants } from './grants.js';
import { secretHandles } from './secret-handles.js';

/** One capability call a live invocation made, and what it got. */
export interface TranscriptEntry {
  readonly key: string;
  readonly result: JsonValue;
}

/** A transcript longer than this is not kept: its sample replays without one (inconclusive if it calls out). */
export const MAX_TRANSCRIPT_ENTRIES = 100;
export const MAX_TRANSCRIPT_CHARS = 64 * 1024;

/** What identifies a call in a transcript: fetch by method and URL (headers hold per-invocation placeholders). */
export function transcriptKey(capability: CapabilityName, op: string, args: readonly JsonValue[]): string {
  if (capability === 'fetch') {
    const request = parseFetchArgs(args);
    return `fetch ${request.method} ${request.url}`;
  }
  return `${capability}.${op} ${JSON.stringify(args)}`;
}

/**
 * A replayed sample's capabilities: each call is answered with what the same call got when the sample was
 * recorded; a call the transcript lacks is kept in `unexpected` (the sample is inconclusive).
 */
export class TranscriptSession {
  readonly session: CapabilitySession | undefined;
  readonly unexpected: string[] = [];

  constructor(
    grants: CapabilityGrants | undefined,
    transcript: readonly TranscriptEntry[],
    config: CapabilitiesConfig,
  ) {
    const resolved = resolveGrants(grants, config);
    const granted = grantedNames(resolved);
    if (granted.length === 0) return;
    const answers = new Map(transcript.map((entry) => [entry.key, entry.result]));
    this.session = {
      granted,
      maxCalls: config.maxCallsPerInvocation,
      ...(resolved.secrets?.length ? { secretHandles: secretHandles(resolved.secrets) } : {}),
      request: async (capability, op, args) => {
        const key = transcriptKey(capability, op, args);
        if (answers.has(key)) return answers.get(key) ?? undefined;
        const diagnostic = `unexpected ${key.slice(0, 200)} (not in the recorded transcript)`;
        this.unexpected.push(diagnostic);
        throw new CapabilityError('capability_unavailable', diagnostic);
      },
    };
  }
}
