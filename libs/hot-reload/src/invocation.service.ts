import { Inject, Injectable } from '@nestjs/common';
import { CapabilityBroker, type ModuleInvoker } from '@seed/capabilities';
import { CodeStoreRepository, type VersionRef } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { countsAgainstVersion, routeCall, TrafficReporter } from '@seed/rollout';
import {
  CapabilityError,
  type CapabilitySession,
  InvokeError,
  type JsonValue,
  type LoadedVersion,
  ModuleRegistry,
} from '@seed/runtime';
import { EVENTS, emit } from '@seed/telemetry';
import { HotReloadError } from './hot-reload.errors.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';
import { RouteTable } from './route-table.service.js';

export interface Invocation {
  output: unknown;
  versionId: string;
  logs?: readonly string[];
}

/** How a call picks its version (the `Seed-Version-Key` and `Seed-Version` headers). */
export interface RouteOptions {
  /** keeps the caller on one side of a rollout's split as its weight rises, on every node */
  versionKey?: string;
  /** a version reference (id, seq, `active`, `latest`): runs that version (ready, canary or active), counted nowhere */
  pin?: VersionRef;
  /** told the version chosen, before it runs: a failed call's answer names it too */
  served?: (versionId: string) => void;
  /** a pinned version that is neither active nor canary gets no real capabilities (an agent's pin) */
  withholdCapabilities?: boolean;
}

/** The same ctx members, each answering capability_unavailable: the module runs, but cannot act. */
function withheld(session: CapabilitySession): CapabilitySession {
  return {
    granted: session.granted,
    maxCalls: session.maxCalls,
    request: async (capability) => {
      throw new CapabilityError(
        'capability_unavailable',
        `ctx.${capability} is withheld from a pinned version that is neither active nor in a rollout`,
      );
    },
  };
}

/** One call the canary counts: a success, or a failure by the module's own fault (`error`). */
export interface InvocationOutcome {
  module: string;
  versionId: string;
  input: unknown;
  error?: InvokeError;
}

/** Statuses a `Seed-Version` pin may call: never a rejected, queued or dry-run version. */
const PINNABLE = new Set(['ready', 'canary', 'active']);

/** Runs a module's version in its sandbox on this node: the active one, its rollout's canary, or a pinned one. */
@Injectable()
export class InvocationService implements ModuleInvoker {
  private readonly observers: Array<(outcome: InvocationOutcome) => void> = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ModuleRegistry,
    private readonly reconciler: Reconciler,
    private readonly store: CodeStoreRepository,
    private readonly replay: ReplaySamples,
    private readonly routes: RouteTable,
    private readonly traffic: TrafficReporter,
    private readonly capabilities: CapabilityBroker,
  ) {
    capabilities.useInvoker(this);
  }

  /**
   * `caller` is who asked (the token's name): the canary and the replay sample count per caller. A pinned call
   * chose its version, so it counts in no analysis and is never a replay sample.
   */
  async invoke(
    module: string,
    input: unknown,
    caller: string,
    debug = false,
    route: RouteOptions = {},
    chain: readonly string[] = [module],
  ): Promise<Invocation> {
    const pinned = route.pin !== undefined;
    const version = pinned
      ? await this.pinnedVersion(module, route.pin!)
      : await this.routedVersion(module, route.versionKey);
    route.served?.(version.versionId);
    const started = performance.now();
    try {
      const granted = this.capabilities.open(module, chain);
      // A pin reaches versions nobody made live: an agent's pinned candidate must not act in production.
      const capabilities =
        granted && pinned && route.withholdCapabilities && !this.isLive(module, version.versionId)
          ? withheld(granted)
          : granted;
      const result = await version.invoke(input, { captureLogs: debug, capabilities });
      const seconds = (performance.now() - started) / 1000;
      emit(EVENTS.invocation, { module, result: 'ok', seconds });
      if (!pinned) {
        this.traffic.record(module, version.versionId, false, caller, seconds * 1000);
        this.replay.record(module, input, caller, granted?.transcript);
        if (this.observers.length) this.notify({ module, versionId: version.versionId, input });
      }
      return { output: result.output, versionId: version.versionId, ...(debug ? { logs: result.logs } : {}) };
    } catch (error) {
      const code = error instanceof InvokeError ? error.code : 'error';
      const seconds = (performance.now() - started) / 1000;
      if (!pinned) {
        // A refused input or a full queue says nothing of the version: counted neither way, so a caller's flood
        // of bad inputs cannot dilute the error rate that would roll a broken version back.
        if (error instanceof InvokeError && countsAgainstVersion(error, false))
          this.traffic.record(module, version.versionId, true, caller, seconds * 1000);
        if (error instanceof InvokeError && error.moduleFault && this.observers.length)
          this.notify({ module, versionId: version.versionId, input, error });
      }
      emit(EVENTS.invocation, { module, result: code, seconds });
      throw error;
    }
  }

  /** ctx.call: the callee's active version in its own isolate, with its own limits and grants. */
  async invokeFromModule(module: string, input: JsonValue, chain: readonly string[]): Promise<JsonValue> {
    const caller = chain.length > 1 ? `module:${chain[chain.length - 2]}` : 'module';
    return (await this.invoke(module, input, caller, false, {}, chain)).output as JsonValue;
  }

  /** Observers (the agent's recent errors, self-healing) see the calls the canary counts; they must be cheap. */
  observe(observer: (outcome: InvocationOutcome) => void): void {
    this.observers.push(observer);
  }

  private notify(outcome: InvocationOutcome): void {
    for (const observer of this.observers) {
      try {
        observer(outcome);
      } catch {
        // an observer's failure never fails the call
      }
    }
  }

  private isLive(module: string, versionId: string): boolean {
    return (
      this.registry.current(module)?.versionId === versionId ||
      this.registry.canaryVersion(module)?.versionId === versionId
    );
  }

  /** The version this node serves; a node that missed a broadcast (or just booted) loads it on the first call. */
  async activeVersion(module: string): Promise<LoadedVersion> {
    if (!this.registry.current(module)) {
      const entity = await this.store.getModule(module);
      if (entity.activeVersionId) await this.reconciler.syncModule(module);
    }
    const version = this.registry.currentVersion(module);
    if (!version) throw await this.noActiveVersion(module);
    return version;
  }

  /** The failure path only: says why nothing serves, naming the newest version and what became of it. */
  private async noActiveVersion(module: string): Promise<HotReloadError> {
    const entity = await this.store.findModule(module);
    const latest = entity
      ? await this.store.resolveVersionRef(entity.id, { kind: 'latest' }).catch(() => null)
      : null;
    if (!latest) return new HotReloadError('no_active_version', `module ${module} has no active version`);
    const { id: versionId, seq, status } = latest;
    const versionRoute = `GET /modules/${module}/versions/${seq}`;
    const why =
      status === 'rejected'
        ? `its version ${seq} (${versionId}) was rejected: ${versionRoute} has the diagnostics`
        : status === 'ready'
          ? `its version ${seq} (${versionId}) passed but was not activated: POST /modules/${module}/activate`
          : `its latest version ${seq} (${versionId}) is ${status} (${versionRoute})`;
    return new HotReloadError('no_active_version', `module ${module} has no active version: ${why}`, {
      versionId,
      seq,
      status,
      diagnostics: (latest.diagnostics ?? []).slice(0, 3),
    });
  }

  /** The active version, or the rollout's canary for the rollout's share of calls (by key when given). */
  private async routedVersion(module: string, key: string | undefined): Promise<LoadedVersion> {
    const stable = await this.activeVersion(module);
    const route = this.routes.route(module);
    if (!route || route.weight <= 0 || route.stableVersionId !== stable.versionId) return stable;
    const canary = this.registry.canaryVersion(module);
    if (!canary || canary.versionId !== route.canaryVersionId) return stable;
    return routeCall(route.weight, route.rolloutId, key, Math.random) === 'canary' ? canary : stable;
  }

  /** A pinned version: one already loaded here, or loaded on demand within ROLLOUT_PINNED_VERSIONS. */
  private async pinnedVersion(module: string, ref: VersionRef): Promise<LoadedVersion> {
    const versionId =
      ref.kind === 'id'
        ? ref.id
        : (await this.store.resolveVersionRef((await this.store.getModule(module)).id, ref)).id;
    const stable = await this.activeVersion(module).catch(() => undefined);
    if (stable?.versionId === versionId) return stable;
    const canary = this.registry.canaryVersion(module);
    if (canary?.versionId === versionId) return canary;
    const loaded = this.registry.pinnedVersion(versionId);
    if (loaded && loaded.module === module && !loaded.isDisposed) return loaded;
    const entity = await this.store.getModule(module);
    const version = await this.store.getVersion(entity.id, versionId);
    if (!PINNABLE.has(version.status) || version.dryRun) {
      throw new HotReloadError(
        'version_not_servable',
        `version ${version.seq} has status ${version.status}${version.dryRun ? ' (dry run)' : ''}: only a ready, canary or active version can be called`,
      );
    }
    if (this.config.rollout.pinnedVersions === 0) {
      throw new HotReloadError(
        'version_not_servable',
        'this node loads no pinned versions (ROLLOUT_PINNED_VERSIONS=0)',
      );
    }
    const fresh = await this.reconciler.loadVersion(module, versionId);
    this.registry.addPinned(fresh, this.config.rollout.pinnedVersions);
    return fresh;
  }
}
