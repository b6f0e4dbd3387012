import type { CapabilityGrants, CaseFixtures } from '@seed/code-store';
import type { CapabilitiesConfig } from '@seed/config';
import { CapabilityError, type CapabilitySession, type JsonValue } from '@seed/runtime';
import { isDeepStrictEqual } from 'node:util';
import { GrantedSession } from './granted-session.js';
import { grantedNames, resolveGrants } from './grants.js';
import { promptText } from './model-args.js';
import { secretHandles } from './secret-handles.js';

/** Longest part of an input quoted in an "unexpected call" diagnostic. */
const QUOTE = 200;

/**
 * A case's capabilities in the pipeline: kv starts from the case's `kv` fixture and lives in memory for that case
 * only, ctx.call is answered by the first `call` fixture for that module (and input, when it names one). Nothing
 * reaches PostgreSQL or another module. A call no fixture answers fails in the module (capability_unavailable)
 * and is kept in `unexpected`, which fails the case whatever the module did with the error.
 */
export class FixtureSession {
  readonly session: CapabilitySession | undefined;
  readonly unexpected: string[] = [];

  constructor(
    module: string,
    grants: CapabilityGrants | undefined,
    fixtures: CaseFixtures | null | undefined,
    config: CapabilitiesConfig,
  ) {
    const resolved = resolveGrants(grants, config);
    if (grantedNames(resolved).length === 0) return;
    const state = new Map<string, JsonValue>(
      Object.entries(fixtures?.kv ?? {}) as Array<[string, JsonValue]>,
    );
    const calls = fixtures?.call ?? [];
    const fetches = fixtures?.fetch ?? [];
    const answers = fixtures?.model ?? [];
    this.session = new GrantedSession(
      resolved,
      config,
      {
        ...(resolved.secrets?.length ? { secretHandles: secretHandles(resolved.secrets) } : {}),
        kv: {
          get: async (key) => state.get(key) ?? null,
          set: async (key, json) => {
            state.set(key, JSON.parse(json) as JsonValue);
          },
          delete: async (key) => state.delete(key),
          list: async (prefix) =>
            [...state.keys()]
              .filter((key) => key.startsWith(prefix))
              .sort()
              .slice(0, config.kv.listLimit)
              .map((key) => ({ key, value: state.get(key)! })),
        },
        model: {
          generate: async (request) => {
            const text = promptText(request);
            const hit = answers.find((a) => a.match === undefined || text.includes(a.match));
            if (hit) {
              const tokens = hit.tokens ?? 0;
              return { text: hit.text, usage: { inputTokens: 0, outputTokens: tokens, totalTokens: tokens } };
            }
            const diagnostic = `unexpected model generate ${JSON.stringify(text.slice(0, QUOTE))}`;
            this.unexpected.push(diagnostic);
            throw new CapabilityError('capability_unavailable', `${diagnostic}: no fixture answers it`);
          },
        },
        fetch: {
          fetch: async (request) => {
            const hit = fetches.find(
              (f) =>
                new URL(f.url).toString() === request.url &&
                (f.method ?? 'GET').toUpperCase() === request.method,
            );
            if (hit)
              return {
                status: hit.response.status,
                headers: hit.response.headers ?? {},
                body: hit.response.body,
                url: request.url,
              };
            const diagnostic = `unexpected fetch ${request.method} ${request.url.slice(0, QUOTE)}`;
            this.unexpected.push(diagnostic);
            throw new CapabilityError('capability_unavailable', `${diagnostic}: no fixture answers it`);
          },
        },
        call: {
          call: async (module, input) => {
            const hit = calls.find(
              (c) => c.module === module && (c.input === undefined || isDeepStrictEqual(c.input, input)),
            );
            if (hit) return hit.output as JsonValue;
            const quoted = JSON.stringify(input);
            const diagnostic = `unexpected call ${module} ${quoted.length > QUOTE ? `${quoted.slice(0, QUOTE)}…` : quoted}`;
            this.unexpected.push(diagnostic);
            throw new CapabilityError('capability_unavailable', `${diagnostic}: no fixture answers it`);
          },
        },
      },
      [module],
    );
  }
}
