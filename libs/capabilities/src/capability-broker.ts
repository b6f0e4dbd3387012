import { Inject, Injectable } from '@nestjs/common';
import type { CapabilityGrants } from '@seed/code-store';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { MetricsService } from '@seed/telemetry';
import { CapabilityError, InvokeError, type JsonValue } from '@seed/runtime';
import { GrantedSession, type Backends, type CallBackend } from './granted-session.js';
import { FetchClient, type FetchRequest, type FetchResult } from './fetch-client.js';
import { secretHandles } from './secret-handles.js';
import { SecretsService } from './secrets.service.js';
import { grantedNames, resolveGrants, type ResolvedGrants } from './grants.js';
import { KvStore } from './kv-store.js';
import type { GenerateRequest, GenerateResult } from './model-args.js';
import { TokenBudget } from './token-budget.js';

/** The configured models for ctx.model (registered by the integrations at start). */
export interface ModelGateway {
  generate(spec: string | undefined, request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult>;
}

/** Runs a module's active version for ctx.call (InvocationService, registered at start). */
export interface ModuleInvoker {
  invokeFromModule(module: string, input: JsonValue, chain: readonly string[]): Promise<JsonValue>;
}

interface KnownModule {
  readonly moduleId: string;
  readonly grants: ResolvedGrants;
}

/**
 * The live host side of capabilities: the grants of the modules this node serves (kept by the reconciler, so an
 * invocation reads no PostgreSQL unless it uses kv), and a session per invocation over PostgreSQL and the other
 * modules.
 */
@Injectable()
export class CapabilityBroker {
  private readonly modules = new Map<string, KnownModule>();
  private invoker?: ModuleInvoker;
  private models?: ModelGateway;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly kv: KvStore,
    private readonly fetchClient: FetchClient,
    private readonly budget: TokenBudget,
    private readonly metrics: MetricsService,
    private readonly secrets: SecretsService,
  ) {}

  useInvoker(invoker: ModuleInvoker): void {
    this.invoker = invoker;
  }

  useModels(models: ModelGateway): void {
    this.models = models;
  }

  /** What the module's settings grant now (on every load and settings change). */
  remember(module: string, moduleId: string, grants: CapabilityGrants | undefined): void {
    this.modules.set(module, { moduleId, grants: resolveGrants(grants, this.config.capabilities) });
  }

  forget(module: string): void {
    this.modules.delete(module);
  }

  /** The capabilities of one invocation of `module`; undefined when it has none. `chain` ends with `module`. */
  open(module: string, chain: readonly string[] = [module]): GrantedSession | undefined {
    const known = this.modules.get(module);
    if (!known || grantedNames(known.grants).length === 0) return undefined;
    const fetch = known.grants.fetch;
    const model = known.grants.model;
    const handles = known.grants.secrets?.length ? secretHandles(known.grants.secrets) : undefined;
    const backends: Backends = {
      ...(model && this.models ? { model: this.modelBackend(module, model, this.models) } : {}),
      ...(known.grants.kv ? { kv: this.kvBackend(known.moduleId, known.grants.kv) } : {}),
      ...(handles ? { secretHandles: handles } : {}),
      ...(fetch
        ? {
            fetch: {
              fetch: (request, onRedirect) =>
                this.fetchWithSecrets(known.moduleId, fetch, request, handles, onRedirect),
            },
          }
        : {}),
      ...(known.grants.call && this.invoker ? { call: this.callBackend(this.invoker) } : {}),
    };
    return new GrantedSession(known.grants, this.config.capabilities, backends, chain);
  }

  private kvBackend(moduleId: string, quota: { maxKeys: number; maxBytes: number }): Backends['kv'] {
    return {
      get: (key) => this.kv.get(moduleId, key),
      set: (key, json, ttlMs) => this.kv.set(moduleId, key, json, ttlMs, quota),
      delete: (key) => this.kv.delete(moduleId, key),
      list: (prefix) => this.kv.list(moduleId, prefix),
    };
  }

  /**
   * ctx.fetch, with the secrets whose placeholders the module put in header values substituted on each hop whose
   * origin the secret is bound to (others get the placeholder as it is), and their plaintext scrubbed from
   * whatever comes back before it enters the isolate.
   */
  private async fetchWithSecrets(
    moduleId: string,
    grant: NonNullable<ResolvedGrants['fetch']>,
    request: FetchRequest,
    handles: Readonly<Record<string, string>> | undefined,
    onRedirect: () => void,
  ): Promise<FetchResult> {
    const bounds = { ...grant, maxRedirects: this.config.capabilities.fetch.maxRedirects };
    const used = Object.entries(handles ?? {}).filter(([, handle]) =>
      Object.values(request.headers).some((value) => value.includes(handle)),
    );
    if (used.length === 0) return this.fetchClient.fetch(request, bounds, { onRedirect });
    const opened = await this.secrets.open(
      moduleId,
      used.map(([name]) => name),
    );
    const missing = used.find(([name]) => !opened.has(name));
    if (missing) throw new CapabilityError('capability_denied', `fetch: secret ${missing[0]} is not set`);
    const plaintexts = [...opened.values()].map((s) => s.value);
    return this.fetchClient.fetch(request, bounds, {
      onRedirect,
      headersFor: (url) => {
        const headers: Record<string, string> = {};
        for (const [header, value] of Object.entries(request.headers)) {
          let out = value;
          for (const [name, handle] of used) {
            const secret = opened.get(name)!;
            if (secret.origins.includes(url.origin)) out = out.split(handle).join(secret.value);
          }
          headers[header] = out;
        }
        return headers;
      },
      scrub: (text) => plaintexts.reduce((acc, plain) => acc.split(plain).join('[secret]'), text),
    });
  }

  private modelBackend(
    module: string,
    grant: NonNullable<ResolvedGrants['model']>,
    models: ModelGateway,
  ): NonNullable<Backends['model']> {
    return {
      generate: async (request) => {
        await this.budget.reserve(module, request.maxTokens, grant.maxTokensPerDay);
        let result: GenerateResult;
        try {
          result = await models.generate(
            grant.model,
            request,
            AbortSignal.timeout(this.config.capabilities.model.timeoutMs),
          );
        } catch (error) {
          if (error instanceof CapabilityError) throw error;
          throw new CapabilityError(
            'capability_unavailable',
            `model: the model failed: ${error instanceof Error ? error.message.slice(0, 500) : 'unknown error'}`,
          );
        }
        this.metrics.moduleModelTokens.inc({ module, kind: 'input' }, result.usage.inputTokens);
        this.metrics.moduleModelTokens.inc({ module, kind: 'output' }, result.usage.outputTokens);
        await this.budget.spend(module, result.usage.totalTokens).catch(() => undefined);
        return result;
      },
    };
  }

  private callBackend(invoker: ModuleInvoker): CallBackend {
    return {
      call: async (module, input, chain) => {
        try {
          return await invoker.invokeFromModule(module, input, chain);
        } catch (error) {
          throw calleeFailure(module, error);
        }
      },
    };
  }
}

/** The callee's failure as the caller sees it: cycles and depth keep their code, the rest are call_failed. */
export function calleeFailure(module: string, error: unknown): CapabilityError {
  const code = (error as { code?: unknown }).code;
  if (error instanceof InvokeError && (code === 'call_cycle' || code === 'call_depth')) {
    return new CapabilityError(code, error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CapabilityError(
    'call_failed',
    `${module} failed${typeof code === 'string' ? ` (${code})` : ''}: ${message}`,
    typeof code === 'string' ? { code } : undefined,
  );
}
