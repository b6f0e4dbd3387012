import type { CapabilitiesConfig } from '@seed/config';
import { CapabilityError, type CapabilityName, type CapabilitySession, type JsonValue } from '@seed/runtime';
import { grantedNames, type ResolvedGrants } from './grants.js';
import { parseFetchArgs } from './fetch-args.js';
import type { FetchRequest, FetchResult } from './fetch-client.js';
import { parseKvOp, type KvOp } from './kv-args.js';
import {
  MAX_TRANSCRIPT_CHARS,
  MAX_TRANSCRIPT_ENTRIES,
  transcriptKey,
  type TranscriptEntry,
} from './transcript.js';
import { parseGenerateArgs, type GenerateRequest, type GenerateResult } from './model-args.js';

/** Where kv calls go: PostgreSQL when live, a case's fixtures in the pipeline. */
export interface KvBackend {
  get(key: string): Promise<JsonValue>;
  set(key: string, json: string, ttlMs: number | undefined): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(prefix: string): Promise<Array<{ key: string; value: JsonValue }>>;
}

/** Where ctx.call goes: another module's active version when live, a case's fixtures in the pipeline. */
export interface CallBackend {
  /** `chain` is the call chain including the callee */
  call(module: string, input: JsonValue, chain: readonly string[]): Promise<JsonValue>;
}

/** Where ctx.fetch goes: the network (checked) when live, a case's fixtures in the pipeline. */
export interface FetchBackend {
  /** `onRedirect` before each redirect is requested: it counts against the grant's maxRequests (and throws past it) */
  fetch(request: FetchRequest, onRedirect: () => void): Promise<FetchResult>;
}

/** Where ctx.model goes: the configured model within the budgets when live, a case's fixtures in the pipeline. */
export interface ModelBackend {
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

export interface Backends {
  /** per-invocation placeholders of the granted secrets, by name */
  readonly secretHandles?: Readonly<Record<string, string>>;
  readonly model?: ModelBackend;
  readonly kv?: KvBackend;
  readonly call?: CallBackend;
  readonly fetch?: FetchBackend;
}

/**
 * One invocation's capabilities: checks each request against the grants and the bounds, then hands it to the
 * backends. `chain` is the modules on the ctx.call chain, this one last.
 */
export class GrantedSession implements CapabilitySession {
  readonly granted: readonly CapabilityName[];
  readonly maxCalls: number;
  readonly secretHandles?: Readonly<Record<string, string>>;
  private fetches = 0;
  /** the calls that succeeded, for the replay sample; undefined once it passed its bounds */
  private recorded?: TranscriptEntry[] = [];
  private recordedChars = 0;

  constructor(
    private readonly grants: ResolvedGrants,
    private readonly config: CapabilitiesConfig,
    private readonly backends: Backends,
    private readonly chain: readonly string[],
  ) {
    this.granted = grantedNames(grants).filter((name) =>
      name === 'secret' ? backends.secretHandles !== undefined : backends[name as keyof Backends],
    );
    this.maxCalls = config.maxCallsPerInvocation;
    this.secretHandles = backends.secretHandles;
  }

  /** What this invocation's capability calls got, when it stayed within the transcript's bounds. */
  get transcript(): readonly TranscriptEntry[] | undefined {
    return this.recorded;
  }

  async request(
    capability: CapabilityName,
    op: string,
    args: readonly JsonValue[],
  ): Promise<JsonValue | undefined> {
    const result = await this.serve(capability, op, args);
    this.record(capability, op, args, result);
    return result;
  }

  private record(
    capability: CapabilityName,
    op: string,
    args: readonly JsonValue[],
    result: JsonValue | undefined,
  ) {
    if (!this.recorded) return;
    const entry = { key: transcriptKey(capability, op, args), result: result ?? null };
    this.recordedChars += entry.key.length + JSON.stringify(entry.result).length;
    if (this.recorded.length >= MAX_TRANSCRIPT_ENTRIES || this.recordedChars > MAX_TRANSCRIPT_CHARS) {
      this.recorded = undefined;
      return;
    }
    this.recorded.push(entry);
  }

  private async serve(
    capability: CapabilityName,
    op: string,
    args: readonly JsonValue[],
  ): Promise<JsonValue | undefined> {
    switch (capability) {
      case 'kv':
        return this.kv(parseKvOp(op, args, this.config.kv));
      case 'call':
        return this.call(args);
      case 'fetch':
        return this.fetch(args);
      case 'model': {
        const backend = this.backends.model;
        const grant = this.grants.model;
        if (!backend || !grant)
          throw new CapabilityError('capability_denied', 'the module has no model grant');
        const { text, usage } = await backend.generate(parseGenerateArgs(args, grant.maxTokensPerCall));
        return { text, usage: { ...usage } };
      }
      default:
        throw new CapabilityError('capability_denied', `the module has no ${capability} grant`);
    }
  }

  private async kv(op: KvOp): Promise<JsonValue | undefined> {
    const kv = this.backends.kv;
    if (!kv || !this.grants.kv) throw new CapabilityError('capability_denied', 'the module has no kv grant');
    switch (op.op) {
      case 'get':
        return kv.get(op.key);
      case 'set':
        await kv.set(op.key, op.json, op.ttlMs);
        return undefined;
      case 'delete':
        return kv.delete(op.key);
      case 'list':
        return kv.list(op.prefix);
    }
  }

  private async fetch(args: readonly JsonValue[]): Promise<JsonValue> {
    const backend = this.backends.fetch;
    const grant = this.grants.fetch;
    if (!backend || !grant) throw new CapabilityError('capability_denied', 'the module has no fetch grant');
    const request = parseFetchArgs(args);
    const origin = new URL(request.url).origin;
    if (!grant.origins.includes(origin)) {
      throw new CapabilityError('capability_denied', `fetch: ${origin} is not a granted origin`);
    }
    // every request counts, a redirect's too: maxRequests bounds what the module makes the world answer
    const countRequest = () => {
      if (++this.fetches > grant.maxRequests) {
        throw new CapabilityError(
          'capability_limit',
          `fetch: more than ${grant.maxRequests} requests in one invocation, redirects included`,
        );
      }
    };
    countRequest();
    const { status, headers, body } = await backend.fetch(request, countRequest);
    return { status, headers, body };
  }

  private async call(args: readonly JsonValue[]): Promise<JsonValue> {
    const backend = this.backends.call;
    if (!backend || !this.grants.call)
      throw new CapabilityError('capability_denied', 'the module has no call grant');
    const [name, input = null] = args;
    if (typeof name !== 'string' || name.length > 63) {
      throw new CapabilityError('invalid_capability_args', 'ctx.call takes a module name');
    }
    if (!this.grants.call.modules.includes(name)) {
      throw new CapabilityError('capability_denied', `the module may not call ${name} (capabilities.call)`);
    }
    if (this.chain.includes(name)) {
      throw new CapabilityError(
        'call_cycle',
        `calling ${name} closes a cycle: ${[...this.chain, name].join(' → ')}`,
      );
    }
    if (this.chain.length >= this.config.maxCallDepth) {
      throw new CapabilityError(
        'call_depth',
        `calling ${name} passes the depth limit of ${this.config.maxCallDepth} (SANDBOX_MAX_CALL_DEPTH): ${[...this.chain, name].join(' → ')}`,
      );
    }
    return backend.call(name, input, [...this.chain, name]);
  }
}
